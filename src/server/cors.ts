/**
 * Cross-origin access (docs/operating.md), with the `cors` package: `CORS_ORIGINS` lists the origins a
 * browser may call the API from (or `*`); unset, none (same origin, or a proxy in front). An allowed
 * origin gets a working preflight (204) on `/graphql` and the `.json` routes, allowing the headers a
 * client sends: the bearer token, JSON bodies and Apollo's CSRF-prevention headers. The API reads no
 * cookie, so credentials mode is never allowed.
 */
import cors from 'cors';
import type { RequestHandler } from 'express';

import type { CorsOrigins } from '../config/cors-origins';

export type { CorsOrigins };

export function corsMiddleware(origins: CorsOrigins | undefined): RequestHandler | undefined {
  if (!origins || (Array.isArray(origins) && origins.length === 0)) return undefined;
  const allowed = new Set(origins === '*' ? [] : origins);
  const handle = cors({
    origin: origins === '*' ? '*' : (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Apollo-Require-Preflight', 'X-Apollo-Operation-Name', 'X-Request-Id', 'If-None-Match', 'traceparent', 'tracestate'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'ETag', 'WWW-Authenticate'],
    credentials: false,
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
  if (origins === '*') return handle;
  // every answer depends on the Origin (allowed or not, or none): caches must tell them apart
  return (req, res, next) => {
    res.vary('Origin');
    handle(req, res, next);
  };
}

/**
 * Whether a WebSocket handshake may go on: no `Origin` (not a browser), the gateway's own origin (the
 * `Host` the browser connected to), or an origin `CORS_ORIGINS` allows. Anything else is a page on
 * another origin, refused as its `fetch` would be.
 */
export function handshakeOriginAllowed(origins: CorsOrigins | undefined, origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (origins === '*') return true;
  if (host !== undefined && URL.canParse(origin) && new URL(origin).host === host.toLowerCase()) return true;
  return origins !== undefined && origins.includes(origin);
}
