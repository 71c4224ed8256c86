/** A legacy route's JSON body: with its csrf token first, a weak ETag, and 304 when the client has it. */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { withCsrf } from './session-body';

/**
 * The csrf token is new on every call, so the ETag is computed over the rest of the body: a weak
 * validator, equal when the data is.
 */
export function sendBody(req: Request, res: Response, chunks: string[], csrf: string | undefined): void {
  const hash = createHash('sha1');
  for (const chunk of chunks) hash.update(chunk);
  const etag = `W/"${hash.digest('base64url')}"`;
  res.set('ETag', etag);
  res.set('Cache-Control', 'private, no-cache');
  res.vary('Authorization'); // beside Origin, when CORS set it
  if (matchesEtag(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return;
  }
  const [first, ...rest] = chunks;
  const head = csrf === undefined ? first : withCsrf(csrf, first);
  const length = rest.reduce((bytes, chunk) => bytes + Buffer.byteLength(chunk), Buffer.byteLength(head));
  res.status(200).type('application/json; charset=utf-8').set('Content-Length', String(length));
  res.write(head);
  for (const chunk of rest) res.write(chunk);
  res.end();
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = etag.slice(2);
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === opaque || t.slice(2) === opaque;
  });
}
