/**
 * The JSON body of a GraphQL request. The common body (plain UTF-8 JSON, not compressed) is read here,
 * with the checks and errors of Express's parser; any other (a compressed body, another charset, another
 * media type) goes to that parser, which answers it as before.
 */
import express, { type NextFunction, type Request, type RequestHandler } from 'express';

/** An error of the body as Express's parser makes it: what the error handler reads is its status and type. */
export class BodyError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
    readonly limit?: number,
    readonly body?: string,
  ) {
    super(message);
  }
}

export function jsonBody(limit: number): RequestHandler {
  const parser = express.json({ limit });
  return (req, res, next) => {
    if (isPlainJson(req)) readPlainJson(req, limit, next);
    else parser(req, res, next);
  };
}

/** `application/json`, UTF-8 or no charset, not encoded, with a body: what a GraphQL client sends. */
function isPlainJson(req: Request): boolean {
  // a request already over (its client gone while it waited its turn) is the parser's to pass on
  if (req.destroyed || req.readableEnded) return false;
  const { headers } = req;
  if (headers['content-encoding'] !== undefined && headers['content-encoding'].toLowerCase() !== 'identity') return false;
  if (headers['transfer-encoding'] === undefined && (headers['content-length'] === undefined || headers['content-length'] === '0')) return false;
  const type = headers['content-type'];
  if (type === undefined) return false;
  const lower = type.toLowerCase();
  return lower === 'application/json' || /^application\/json[ \t]*;[ \t]*charset[ \t]*=[ \t]*("utf-8"|utf-8)[ \t]*$/.test(lower);
}

function readPlainJson(req: Request, limit: number, next: NextFunction): void {
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  // a body declared too large is refused unread, then read off so that the answer reaches the client
  if (declared !== undefined && declared > limit) return afterRead(req, next, tooLarge(limit));
  const chunks: Buffer[] = [];
  let received = 0;
  let failed = false;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) {
      failed = true;
      cleanup();
      afterRead(req, next, tooLarge(limit));
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () => {
    cleanup();
    if (declared !== undefined && received !== declared) return next(new BodyError('request size did not match content length', 400, 'request.size.invalid'));
    let text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, received).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // the parser's decoder drops a byte order mark
    try {
      req.body = parseStrict(text);
    } catch {
      return next(new BodyError('the request body is not valid JSON', 400, 'entity.parse.failed', undefined, text));
    }
    next();
  };
  const onAborted = () => {
    if (failed) return;
    cleanup();
    next(new BodyError('request aborted', 400, 'request.aborted'));
  };
  const onError = (error: Error) => {
    if (failed) return;
    cleanup();
    next(new BodyError(error.message, 400, 'request.error'));
  };
  const cleanup = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('aborted', onAborted);
    req.off('error', onError);
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAborted);
  req.on('error', onError);
}

/** The parser's strict mode: an empty body is `{}`, and the JSON must be an object or a list. */
function parseStrict(text: string): unknown {
  if (text.length === 0) return {};
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') throw new SyntaxError('not an object or a list');
  return JSON.parse(text);
}

function tooLarge(limit: number): BodyError {
  return new BodyError('request entity too large', 413, 'entity.too.large', limit);
}

/** Reads the rest of the body off, then passes the error on. */
function afterRead(req: Request, next: NextFunction, error: BodyError): void {
  if (req.complete) return next(error);
  let passed = false;
  const pass = () => {
    if (passed) return;
    passed = true;
    next(error);
  };
  req.once('end', pass);
  req.once('close', pass);
  req.resume();
}
