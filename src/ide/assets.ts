/**
 * The IDE's static files, served by the gateway itself from node_modules (no CDN: it must work with
 * no internet). Each URL carries a hash of the file's content, so the files are cached for a year
 * and a new version gets a new URL.
 *
 * They are mounted at /graphql/ide/ *before* Apollo's middleware: that one is mounted with
 * `app.use('/graphql', …)` and so would otherwise take every path under /graphql as a GraphQL request.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Router, type Request, type Response } from 'express';
import { IDE_CLIENT_CSS, IDE_CLIENT_SCRIPT } from './client';
import { notFound } from '../errors/legacy-body';

/** Where the asset routes are mounted. */
export const IDE_ASSET_PREFIX = '/graphql/ide';

export interface IdeAsset {
  /** The file name under IDE_ASSET_PREFIX, content hash included. */
  name: string;
  url: string;
  contentType: string;
  body: Buffer;
  etag: string;
  /** Made on first use. */
  gzipped?: { body: Buffer; etag: string };
}

export interface IdeAssets {
  react: IdeAsset;
  reactDom: IdeAsset;
  graphiqlScript: IdeAsset;
  graphiqlStyle: IdeAsset;
  /** graphql-ws's browser client (global `graphqlWs`), for subscriptions. */
  graphqlWs: IdeAsset;
  script: IdeAsset;
  style: IdeAsset;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** A file of an installed package; `exports` maps hide these files from require.resolve, package.json is always there. */
function packageFile(packageName: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${packageName}/package.json`)), file);
}

function readPackageFile(packageName: string, file: string): Buffer {
  try {
    return readFileSync(packageFile(packageName, file));
  } catch (error) {
    throw new Error(`the GraphQL IDE needs ${packageName}/${file} (is the dependency installed at the pinned version?): ${(error as Error).message}`);
  }
}

/** Drops a trailing `//# sourceMappingURL=…` comment: the map is not served, and a browser's tools would ask for it. */
function withoutSourceMapComment(body: Buffer): Buffer {
  return Buffer.from(body.toString('utf8').replace(/\n\/[/*]# sourceMappingURL=\S+?(?: \*\/)?\s*$/, '\n'));
}

function asset(baseName: string, extension: 'js' | 'css', body: Buffer): IdeAsset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const name = `${baseName}.${hash}.${extension}`;
  return { name, url: `${IDE_ASSET_PREFIX}/${name}`, contentType: extension === 'js' ? JS : CSS, body, etag: `"${hash}"` };
}

let loaded: IdeAssets | undefined;

/** Reads the files once per process (about 1.6 MB, mostly GraphiQL). Throws, naming the file, when one is missing. */
export function loadIdeAssets(): IdeAssets {
  loaded ??= {
    react: asset('react.production.min', 'js', readPackageFile('react', 'umd/react.production.min.js')),
    reactDom: asset('react-dom.production.min', 'js', readPackageFile('react-dom', 'umd/react-dom.production.min.js')),
    graphiqlScript: asset('graphiql.min', 'js', withoutSourceMapComment(readPackageFile('graphiql', 'graphiql.min.js'))),
    graphiqlStyle: asset('graphiql.min', 'css', withoutSourceMapComment(readPackageFile('graphiql', 'graphiql.min.css'))),
    graphqlWs: asset('graphql-ws.min', 'js', withoutSourceMapComment(readPackageFile('graphql-ws', 'umd/graphql-ws.min.js'))),
    script: asset('ide', 'js', Buffer.from(IDE_CLIENT_SCRIPT)),
    style: asset('ide', 'css', Buffer.from(IDE_CLIENT_CSS)),
  };
  return loaded;
}

const YEAR_IN_SECONDS = 365 * 24 * 60 * 60;

/** GET/HEAD /graphql/ide/:name for the names above; anything else under the prefix is a 404 (never Apollo's). */
export function ideAssetsRouter(): Router {
  const byName = new Map(Object.values(loadIdeAssets()).map((a: IdeAsset) => [a.name, a]));
  const router = Router();
  router.get('/:name', (req: Request, res: Response) => {
    const found = byName.get(String(req.params.name));
    if (!found) {
      notFound(req, res);
      return;
    }
    res.set({
      'Content-Type': found.contentType,
      'Cache-Control': `public, max-age=${YEAR_IN_SECONDS}, immutable`,
      'X-Content-Type-Options': 'nosniff',
      'Cross-Origin-Resource-Policy': 'same-origin',
      Vary: 'Accept-Encoding',
    });
    if (req.acceptsEncodings('gzip', 'identity') === 'gzip') {
      found.gzipped ??= { body: gzipSync(found.body), etag: found.etag.replace(/"$/, '-gz"') };
      res.set({ 'Content-Encoding': 'gzip', ETag: found.gzipped.etag });
      res.send(found.gzipped.body); // express answers 304 when If-None-Match matches, and no body to HEAD
      return;
    }
    res.set('ETag', found.etag);
    res.send(found.body);
  });
  router.use(notFound);
  return router;
}
