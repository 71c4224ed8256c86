/**
 * Security headers on every response (helmet), JSON included. The content security policy is the IDE
 * page's own (its meta element, src/ide/page.ts) plus `frame-ancestors 'none'`, which only a header can
 * carry: a browser enforces both policies, and since they agree, the IDE loads its scripts, styles and
 * fonts from this origin and posts queries to it, and nothing else. HSTS is off unless configured
 * (HSTS_MAX_AGE): the gateway usually sits behind a proxy that terminates TLS and owns that header.
 */
import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { IDE_CONTENT_SECURITY_POLICY } from '../ide';

export interface SecurityHeadersOptions {
  /** Seconds for Strict-Transport-Security; 0 or unset sends none. */
  hstsMaxAge?: number;
}

/** The policy's directives: the IDE page's, parsed, plus frame-ancestors. */
function contentSecurityPolicyDirectives(): Record<string, string[]> {
  const directives: Record<string, string[]> = {};
  for (const part of IDE_CONTENT_SECURITY_POLICY.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives[name] = values;
  }
  directives['frame-ancestors'] = ["'none'"];
  return directives;
}

/**
 * Helmet's headers, worked out once: helmet runs a chain of eleven middlewares per request, each
 * setting a header that is the same for every response, so its output is recorded at start-up and
 * set in one step.
 */
export function securityHeaders(options: SecurityHeadersOptions = {}): RequestHandler {
  const hstsMaxAge = options.hstsMaxAge ?? 0;
  const middleware = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicyDirectives() },
    strictTransportSecurity: hstsMaxAge > 0 ? { maxAge: hstsMaxAge, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  });
  const set = new Map<string, string>();
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => set.set(name, value),
    removeHeader: (name: string) => removed.push(name),
  };
  let completed = false;
  middleware({} as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    completed = true;
  });
  // helmet's chain is synchronous: anything else would leave responses without their headers
  if (!completed) throw new Error('helmet did not complete synchronously');
  const headers = [...set];
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}
