/** Subscriptions whose root selection holds `@skip` or `@include`, refused before Apollo Server (./limits/subscription-root.ts). */
import type { NextFunction, Request, Response } from 'express';
import { parse, type DocumentNode } from 'graphql';
import { badUserInput } from '../errors/codes';
import { subscriptionRootErrors } from './limits/subscription-root';
import { sendRefusal } from './refusal-response';

/**
 * On `/graphql` over HTTP, before Apollo Server: a document whose subscription has a condition at its
 * root is refused 400 BAD_USER_INPUT (Apollo's validation would throw on it). Only documents whose
 * text holds `subscription` and `skip` or `include` are parsed here; the rest, and any that does not
 * parse, go on to Apollo.
 */
export function subscriptionRootCheck(maxTokens: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const query = queryOf(req);
    // the words, not `@skip`: a directive's name may stand apart from its `@` (whitespace, a comment)
    if (query === undefined || !query.includes('subscription') || !(query.includes('skip') || query.includes('include'))) return next();
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens });
    } catch {
      return next();
    }
    const [first] = subscriptionRootErrors(document);
    if (!first) return next();
    sendRefusal(req, res, badUserInput(first.message));
  };
}

function queryOf(req: Request): string | undefined {
  if (req.method === 'GET' || req.method === 'HEAD') {
    const at = req.url.indexOf('?');
    return at < 0 ? undefined : (new URLSearchParams(req.url.slice(at + 1)).get('query') ?? undefined);
  }
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { query } = body as { query?: unknown };
  return typeof query === 'string' ? query : undefined;
}
