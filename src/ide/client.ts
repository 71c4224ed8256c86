/**
 * The IDE page's own script and style, served as files (the page has no inline script, so a
 * `script-src 'self'` Content-Security-Policy holds). They are kept here as strings so that the
 * TypeScript build carries them to dist/ with the rest.
 *
 * The script reads its settings from `<script type="application/json" id="ide-config">` (see
 * page.ts), and mounts GraphiQL (UMD global `GraphiQL`, on the React 18 UMD globals) with a fetcher
 * that always sends `Content-Type: application/json`: Apollo's CSRF prevention stays on.
 */

export const IDE_CLIENT_SCRIPT = String.raw`/* Session gateway: mounts GraphiQL. Settings: #ide-config (JSON). */
(function () {
  'use strict';

  var config = {};
  var configElement = document.getElementById('ide-config');
  if (configElement) {
    try {
      config = JSON.parse(configElement.textContent || '{}');
    } catch (error) {
      console.error('ide-config is not valid JSON', error);
    }
  }
  var endpoint = config.endpoint || '/graphql';
  var container = document.getElementById('graphiql');

  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    container.textContent = 'The GraphQL IDE could not load its scripts.';
    return;
  }

  /** Reads a response as JSON; anything else becomes a GraphQL-shaped error so GraphiQL shows it. */
  function readResult(response) {
    return response.text().then(function (text) {
      try {
        return JSON.parse(text);
      } catch (error) {
        return {
          errors: [{ message: 'HTTP ' + response.status + ': the response is not JSON', extensions: { body: text.slice(0, 2000) } }],
        };
      }
    });
  }

  /**
   * GraphiQL calls this for every operation (introspection included) with the headers editor's
   * object as options.headers. Content-Type is always application/json, whatever the editor says.
   */
  function fetcher(params, options) {
    var headers = new Headers((options && options.headers) || {});
    headers.set('Content-Type', 'application/json');
    if (!headers.has('Accept')) headers.set('Accept', 'application/graphql-response+json, application/json');
    return fetch(endpoint, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(params),
      credentials: 'same-origin',
    }).then(readResult);
  }

  /**
   * The operation type GraphiQL is about to run: the top-level keyword of the operation named
   * operationName, or of the first operation (a bare selection set is a query).
   */
  function operationType(query, operationName) {
    var source = String(query || '').replace(/"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*/g, ' ');
    var depth = 0;
    var first = null;
    // the next top-level '{' opens a fragment's selection, not an anonymous query
    var fragment = false;
    var token = /[{}]|[A-Za-z_][A-Za-z0-9_]*/g;
    var match;
    while ((match = token.exec(source))) {
      var word = match[0];
      if (word === '{') {
        if (depth === 0 && fragment) fragment = false;
        else if (depth === 0 && !first) first = 'query';
        depth += 1;
      } else if (word === '}') {
        depth -= 1;
      } else if (depth === 0 && (word === 'query' || word === 'mutation' || word === 'subscription')) {
        var name = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(source.slice(token.lastIndex));
        if (operationName && name && name[1] === operationName) return word;
        if (!first) first = word;
      } else if (depth === 0 && word === 'fragment') {
        fragment = true;
      }
    }
    return first || 'query';
  }

  // Subscriptions over WebSocket (graphql-transport-ws), one connection per Authorization header.
  var socketUrl = new URL(endpoint, window.location.href);
  socketUrl.protocol = socketUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  var sockets = {};
  function subscribe(params, headers) {
    var authorization = headers.get('Authorization') || '';
    var client = sockets[authorization];
    if (!client) {
      client = window.graphqlWs.createClient({
        url: socketUrl.href,
        connectionParams: authorization ? { Authorization: authorization } : {},
        retryAttempts: 0,
      });
      sockets[authorization] = client;
    }
    return readable(client.iterate({ query: params.query, variables: params.variables || undefined, operationName: params.operationName || undefined }));
  }

  // A closed socket rejects with its CloseEvent, which GraphiQL would show as {"isTrusted": true}:
  // an Error naming the close code and reason instead.
  function readable(events) {
    function named(error) {
      if (error && typeof error.code === 'number' && 'reason' in error) {
        return new Error('The connection closed (' + error.code + (error.reason ? ': ' + error.reason : '') + ')');
      }
      return error;
    }
    var iterator = {
      next: function () {
        return events.next().catch(function (error) {
          throw named(error);
        });
      },
      return: function () {
        return events.return ? events.return() : Promise.resolve({ done: true, value: undefined });
      },
    };
    iterator[Symbol.asyncIterator] = function () {
      return iterator;
    };
    return iterator;
  }

  /** Subscriptions go over WebSocket, everything else is POSTed. */
  function fetchOrSubscribe(params, options) {
    var headers = new Headers((options && options.headers) || {});
    if (window.graphqlWs && operationType(params.query, params.operationName) === 'subscription') return subscribe(params, headers);
    return fetcher(params, options);
  }

  var props = {
    fetcher: fetchOrSubscribe,
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: 'headers',
    shouldPersistHeaders: false,
  };
  if (typeof config.defaultQuery === 'string') props.defaultQuery = config.defaultQuery;
  if (typeof config.defaultHeaders === 'string') props.defaultHeaders = config.defaultHeaders;
  // Without introspection there is no schema to ask for: GraphiQL then runs without one.
  if (config.introspection === false) props.schema = null;
  if (typeof config.storageNamespace === 'string' && typeof GraphiQL.createLocalStorage === 'function') {
    props.storage = GraphiQL.createLocalStorage({ namespace: config.storageNamespace });
  }

  var logo = React.createElement(GraphiQL.Logo, null, config.title || 'GraphiQL');
  ReactDOM.createRoot(container).render(React.createElement(GraphiQL, props, logo));
})();
`;

export const IDE_CLIENT_CSS = `/* Session gateway: GraphiQL takes the whole window. */
html, body, #graphiql {
  height: 100%;
  margin: 0;
  overflow: hidden;
  width: 100%;
}
#graphiql > .graphiql-loading {
  font-family: system-ui, sans-serif;
  padding: 2rem;
}
`;
