/** Subscriptions whose root selection holds `@skip` or `@include`, refused before Apollo Server (./limits/subscription-root.ts). */
import type { NextFunction, Request, Response } from 'express';
import { parse, type DocumentNode, type GraphQLError } from 'graphql';
import Negotiator from 'negotiator';
import { ErrorCode } from '../errors/codes';
import { subscriptionRootErrors } from './limits/subscription-root';
import { requestErrorsAre200 } from './json-status-plugin';
import { documentRequestOf } from './trusted-documents';

/** The media types Apollo Server answers in, in its order of preference. */
const MEDIA_TYPES = ['application/json; charset=utf-8', 'application/graphql-response+json; charset=utf-8'];

/**
 * On `/graphql` over HTTP, before Apollo Server: a document whose subscription has a condition at its
 * root is refused as Apollo refuses a document that does not validate (Apollo's validation would throw
 * on it instead). Only documents whose text holds `subscription` and `skip` or `include` are parsed
 * here; the rest, and any that does not parse, go on to Apollo.
 */
export function subscriptionRootCheck(maxTokens: number, onRefused: (req: Request, res: Response, code: string) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const { query } = documentRequestOf(req);
    // the words, not `@skip`: a directive's name may stand apart from its `@` (whitespace, a comment)
    if (typeof query !== 'string' || !query.includes('subscription') || !(query.includes('skip') || query.includes('include'))) return next();
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens });
    } catch {
      return next();
    }
    const errors = subscriptionRootErrors(document);
    if (errors.length === 0) return next();
    onRefused(req, res, ErrorCode.BAD_USER_INPUT);
    const accept = req.get('accept');
    res.status(requestErrorsAre200(accept) ? 200 : 400);
    res.type((accept && new Negotiator({ headers: { accept } }).mediaType(MEDIA_TYPES)) || MEDIA_TYPES[0]);
    res.end(JSON.stringify({ errors: errors.map(validationError) }));
  };
}

/** As the gateway shows Apollo's validation errors (./graphql-errors.ts). */
function validationError(error: GraphQLError) {
  return { message: error.message, locations: error.locations, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'GRAPHQL_VALIDATION_FAILED' } };
}
