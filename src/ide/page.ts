/**
 * The HTML of the IDE page (GraphiQL 4 on React 18). Every URL in it is a path on this gateway;
 * its settings travel as JSON in `<script type="application/json" id="ide-config">`, read by the
 * page's own script (client.ts): there is no inline script, and the page's Content-Security-Policy
 * lets nothing load from, or connect to, another origin.
 */
import { createHash } from 'node:crypto';
import type { IdeAssets } from './assets';

/** What the IDE starts with; the embedded demo fills both in (main.ts), a real deployment none. */
export interface IdeOptions {
  /** The headers editor's initial content, a JSON object as text, e.g. `{"Authorization": "Bearer …"}`. */
  defaultHeaders?: string;
  /** The query editor's initial content (first visit only: GraphiQL then keeps the user's tabs). */
  defaultQuery?: string;
}

export interface IdePageOptions extends IdeOptions {
  /** Where the fetcher POSTs. */
  endpoint: string;
  /** False: GraphiQL asks for no schema (the server refuses introspection) and runs without docs. */
  introspection: boolean;
}

export const IDE_PAGE_TITLE = 'Session gateway — GraphiQL';

export const DEFAULT_IDE_QUERY = `# Session gateway: GraphQL IDE
#
# Put a bearer token in the Headers tab below, as
#   {"Authorization": "Bearer <token>"}
# then run (the ▶ button or Ctrl-Enter). The book icon on the left opens the schema's docs.

query Viewer {
  viewer {
    _id
    name
    email
  }
}
`;

/**
 * The page's policy, in its meta element and in the header src/server/security-headers.ts sends.
 * Styles may be inline: GraphiQL's components set some. Fonts are data: URLs inside graphiql.min.css.
 */
export const IDE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** JSON that is safe inside a `<script>` element (no `</script>`, no `<!--`, no line separators). */
function jsonForScriptElement(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderIdePage(assets: IdeAssets, options: IdePageOptions): string {
  const defaultQuery = options.defaultQuery ?? DEFAULT_IDE_QUERY;
  const defaultHeaders = options.defaultHeaders ?? '';
  // GraphiQL keeps its tabs in localStorage: a page with other defaults (a new demo run: new ids, new
  // token) starts from those instead of yesterday's tabs.
  const storageNamespace = `session-gateway-${createHash('sha256').update(defaultQuery).update('\0').update(defaultHeaders).digest('hex').slice(0, 12)}`;
  const config = {
    title: 'Session gateway',
    endpoint: options.endpoint,
    introspection: options.introspection,
    defaultQuery,
    defaultHeaders,
    storageNamespace,
  };
  const script = (url: string) => `<script src="${escapeAttribute(url)}"></script>`;
  const stylesheet = (url: string) => `<link rel="stylesheet" href="${escapeAttribute(url)}">`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(IDE_CONTENT_SECURITY_POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${escapeAttribute(IDE_PAGE_TITLE)}</title>
<link rel="icon" href="data:,">
${stylesheet(assets.graphiqlStyle.url)}
${stylesheet(assets.style.url)}
</head>
<body>
<div id="graphiql"><div class="graphiql-loading">Loading GraphiQL…<noscript> (it needs JavaScript)</noscript></div></div>
<script type="application/json" id="ide-config">${jsonForScriptElement(config)}</script>
${script(assets.react.url)}
${script(assets.reactDom.url)}
${script(assets.graphiqlScript.url)}
${script(assets.graphqlWs.url)}
${script(assets.script.url)}
</body>
</html>
`;
}
