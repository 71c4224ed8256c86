/**
 * Apollo Server on Express, as `@as-integrations/express5` runs it but for what every answer paid there:
 * the URL parsed again for its query string, and Express's `send`, which hashes a POST's answer for
 * an ETag no client can use. A POST's answer is written with its length; other answers (GET, the IDE's
 * page) keep Express's `send`, its ETag and 304. The answer's byte budget is checked on the string
 * Apollo made.
 */
import { HeaderMap, type ApolloServer, type ContextFunction } from '@apollo/server';
import type { Request, RequestHandler, Response } from 'express';
import type { RequestContext } from '../context/request-context';
import { overBudget } from './request-budget';

export interface ApolloHandlerOptions {
  context: ContextFunction<[{ req: Request; res: Response }], RequestContext>;
  /** MAX_RESPONSE_BYTES. */
  maxResponseBytes: number;
}

export function apolloHandler(apollo: ApolloServer<RequestContext>, options: ApolloHandlerOptions): RequestHandler {
  const { context, maxResponseBytes } = options;
  return async (req, res) => {
    const headers = new HeaderMap();
    for (const key in req.headers) {
      const value = req.headers[key];
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const answer = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: searchOf(req.url), body: req.body },
      context: () => context({ req, res }),
    });
    for (const [key, value] of answer.headers) res.setHeader(key, value);
    res.statusCode = answer.status ?? 200;
    if (answer.body.kind === 'complete') return send(req, res, answer.body.string, maxResponseBytes);
    for await (const chunk of answer.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

function send(req: Request, res: Response, body: string, maxBytes: number): void {
  let bytes = Buffer.byteLength(body);
  // an answer, not the IDE's page
  if (bytes > maxBytes && !String(res.getHeader('content-type') ?? '').startsWith('text/html')) {
    body = overBudget(req, res, maxBytes);
    bytes = Buffer.byteLength(body);
  }
  if (req.method !== 'POST') {
    res.send(body);
    return;
  }
  res.setHeader('Content-Length', bytes);
  res.end(body);
}

/** `?…` of a request's URL, or '' (as url.parse reads it: a `?` after a `#` is the fragment's). */
function searchOf(url: string): string {
  const hash = url.indexOf('#');
  const path = hash === -1 ? url : url.slice(0, hash);
  const start = path.indexOf('?');
  return start === -1 ? '' : path.slice(start);
}
