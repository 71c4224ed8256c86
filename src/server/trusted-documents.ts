/**
 * Trusted documents (docs/operating.md, "Trusted documents"): a manifest from document id to document
 * text, as GraphQL Code Generator's persisted documents and relay-compiler's `persistConfig` write it.
 * A client names a document by its id (`documentId`, or the persisted-query extension's hash); with
 * `only`, a document the manifest does not hold is refused, before anything is read.
 */
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode, GatewayError } from '../errors/codes';
import { sendRefusal } from './refusal-response';

/** What a GraphQL request or subscribe names its document by (the body, the query string, the payload). */
export interface DocumentRequest {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

/** The document fields of a GraphQL request over HTTP: from the query string (GET, HEAD) or the JSON body. */
export function documentRequestOf(req: Request, search: URLSearchParams = searchOf(req)): DocumentRequest {
  if (req.method === 'GET' || req.method === 'HEAD') return { query: search.get('query') ?? undefined, documentId: search.get('documentId') ?? undefined, extensions: search.get('extensions') ?? undefined };
  return typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? (req.body as DocumentRequest) : {};
}

const searchOf = (req: Request) => new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');

export class TrustedDocuments {
  private readonly texts: ReadonlySet<string>;

  constructor(
    private readonly byId: ReadonlyMap<string, string>,
    /** TRUSTED_DOCUMENTS_ONLY: any document not in the manifest is refused. */
    readonly only: boolean,
  ) {
    this.texts = new Set(byId.values());
  }

  /** The manifest at `file`: a JSON object from id to document text; anything else is a start-up error. */
  static load(file: string, only: boolean): TrustedDocuments {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`TRUSTED_DOCUMENTS: cannot read ${file} as JSON (${(error as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`TRUSTED_DOCUMENTS: ${file} is not a JSON object from document id to document text`);
    const byId = new Map<string, string>();
    for (const [id, text] of Object.entries(parsed)) {
      if (typeof text !== 'string' || text.trim() === '') throw new Error(`TRUSTED_DOCUMENTS: the document of id "${id}" in ${file} is not a document text`);
      byId.set(id, text);
      // GraphQL Code Generator may write ids with their algorithm (`sha256:<hex>`); clients may send either
      const bare = /^sha256:([0-9a-f]{64})$/.exec(id)?.[1];
      if (bare) byId.set(bare, text);
    }
    return new TrustedDocuments(byId, only);
  }

  get size(): number {
    return this.texts.size;
  }

  /**
   * The document text a request runs: the manifest's for the id it names; its own query when it names
   * none (and, with `only`, the manifest holds that text). Throws PERSISTED_QUERY_NOT_FOUND otherwise.
   * `persistedQueries`: the request goes on to Apollo Server's automatic persisted queries (HTTP), which
   * answer a persisted-query hash the manifest lacks (when it is not the only source); WebSocket has none.
   */
  resolve(request: DocumentRequest, persistedQueries = false): string | undefined {
    const named = documentIdOf(request);
    if (named !== undefined) {
      const { id, by } = named;
      const text = this.byId.get(id);
      if (text !== undefined) return text;
      // not ours, and trusted documents are not the only ones served: Apollo Server's automatic
      // persisted queries answer the hash (a client that sends it alone is asked for its text)
      if (by === 'persisted-query' && persistedQueries && !this.only) return undefined;
      throw refusal(`No trusted document has the id "${id.length > 80 ? `${id.slice(0, 80)}…` : id}"`);
    }
    const query = typeof request.query === 'string' ? request.query : undefined;
    if (this.only && (query === undefined || !this.texts.has(query))) {
      throw refusal('Only trusted documents are served here (TRUSTED_DOCUMENTS_ONLY): send the `documentId` of a document of the manifest');
    }
    return query;
  }
}

const refusal = (message: string) => new GatewayError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, message);

/** `documentId`, or the hash of the persisted-query extension (`extensions.persistedQuery.sha256Hash`). */
function documentIdOf(request: DocumentRequest): { id: string; by: 'documentId' | 'persisted-query' } | undefined {
  if (typeof request.documentId === 'string') return { id: request.documentId, by: 'documentId' };
  let extensions = request.extensions;
  // GET carries the extensions as JSON text
  if (typeof extensions === 'string') {
    try {
      extensions = JSON.parse(extensions);
    } catch {
      return undefined;
    }
  }
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  return typeof hash === 'string' ? { id: hash, by: 'persisted-query' } : undefined;
}

/**
 * On `/graphql`, after the body parser and before Apollo Server (so before the caller is read): the
 * request is given the manifest's text for the id it names, or is answered 400 PERSISTED_QUERY_NOT_FOUND.
 */
export function trustedDocumentsMiddleware(documents: TrustedDocuments, onRefused: (req: Request, res: Response, error: GatewayError) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const isGet = req.method === 'GET' || req.method === 'HEAD';
    const search = searchOf(req);
    const request = documentRequestOf(req, search);
    // not a GraphQL request (the IDE's page, a malformed body) or a batch (refused, before any read): Apollo answers it
    if (isGet && request.query === undefined && request.documentId === undefined && request.extensions === undefined) return next();
    if (!isGet && Array.isArray(req.body)) return next();
    let text: string | undefined;
    try {
      text = documents.resolve(request, true);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      onRefused(req, res, error);
      sendRefusal(req, res, error);
      return;
    }
    if (text !== undefined) {
      if (isGet) {
        search.set('query', text);
        search.delete('documentId');
        search.delete('extensions'); // GET's extensions carry nothing else this gateway reads
        req.url = `${req.url.split('?')[0]}?${search.toString()}`;
      } else {
        const body = req.body as Record<string, unknown>;
        body.query = text;
        delete body.documentId;
        // the id was this gateway's to resolve: Apollo's own persisted queries would check it as a sha256
        if (typeof body.extensions === 'object' && body.extensions !== null) delete (body.extensions as Record<string, unknown>).persistedQuery;
      }
    }
    next();
  };
}
