/**
 * The frontend recipes of docs/recipes, run with the real libraries (Apollo Client, urql, graphql-ws)
 * against a gateway that is restarted mid-conversation (a deploy: its sockets closed with 1001, the
 * same address back shortly after) while a writer adds messages and streams a reply. Each client
 * ends with exactly what is stored: every message, in `_id` order, each with its final text.
 */
import type * as ApolloCore from '@apollo/client/core' with { 'resolution-mode': 'import' };
import type * as ApolloSubscriptions from '@apollo/client/link/subscriptions' with { 'resolution-mode': 'import' };
import type * as ApolloUtilities from '@apollo/client/utilities' with { 'resolution-mode': 'import' };
import { createClient, type Client as WsClient } from 'graphql-ws';
import type { ObjectId } from 'mongodb';
import WebSocket from 'ws';
import { liveConversation as apolloConversation, type ConversationData } from '../docs/recipes/apollo-client';
import { followConversation, type LiveMessage } from '../docs/recipes/graphql-ws';
import { liveConversation as urqlConversation, urqlClient } from '../docs/recipes/urql';
import { chatMessage, chunksOf } from './support/chat';
import { startGatewayApp, type ServedApp, type TestGateway } from './support/gateway';
import { liveSuite } from './support/live-suite';
import { freePort } from './support/resilience';
import { sleep } from './support/wait';

// Apollo Client's types are those of its ES module; at run time its CommonJS build is loaded.
/* eslint-disable @typescript-eslint/no-require-imports */
const { ApolloClient, gql, HttpLink, InMemoryCache, split } = require('@apollo/client/core') as typeof ApolloCore;
const { GraphQLWsLink } = require('@apollo/client/link/subscriptions') as typeof ApolloSubscriptions;
const { getMainDefinition } = require('@apollo/client/utilities') as typeof ApolloUtilities;
/* eslint-enable @typescript-eslint/no-require-imports */

const INTERVAL_MS = 300;
const hex = (id: ObjectId) => id.toHexString();

const suite = liveSuite(INTERVAL_MS, { scale: 2 });
let gw: TestGateway;
beforeAll(() => {
  gw = suite.gw;
});

/** A copy of the gateway on the shared database, at a port that the next copy takes over (stopped: every socket closed with 1001, as on SIGTERM). */
function startCopy(port: number): Promise<ServedApp> {
  return startGatewayApp({ db: gw.db, live: { intervalMs: INTERVAL_MS } }, { port });
}

function wsClient(port: number, token: string): WsClient {
  return createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 50,
    shouldRetry: () => true,
    retryWait: async () => {
      await sleep(100);
    },
    onNonLazyError: () => undefined,
  });
}

type View = Record<string, { text: string | null; completed: boolean }>;

async function storedView(session: ObjectId, token: string): Promise<View> {
  const { body } = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { messages(first: 100) { nodes { _id text completed } } } }', { id: hex(session) }, token);
  return Object.fromEntries(body.data.session.messages.nodes.map((node: LiveMessage) => [node._id, { text: node.text, completed: node.completed }]));
}

const viewOfList = (nodes: ReadonlyArray<{ _id: string; text: string | null; completed: boolean }>): View => Object.fromEntries(nodes.map((node) => [node._id, { text: node.text, completed: node.completed }]));

it('Apollo Client, urql and graphql-ws each end with what is stored, across a restart of the gateway mid-conversation', async () => {
  const token = gw.tokenFor('member');
  // a generated session with a short conversation (not the long one): its messages fit one page
  const session = (await gw.db.collection('sessions').findOne({ teamId: gw.fixtures.teams.acmeMain, name: /^Run /, _id: { $ne: gw.fixtures.longConversation! } }))!._id;
  // a port outside the ephemeral range: no reconnecting client's own socket can take it while it is free
  let copy = await startCopy(await freePort());
  const port = copy.port;
  const written: ObjectId[] = [];
  const sockets = [wsClient(port, token), wsClient(port, token), wsClient(port, token)];
  const stops: Array<() => void> = [];
  try {
    // Apollo Client: a split link, queries over HTTP, subscriptions over the socket
    const link = split(({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    }, new GraphQLWsLink(sockets[0]), new HttpLink({ uri: `http://127.0.0.1:${port}/graphql`, headers: { authorization: `Bearer ${token}` }, fetch }));
    const apollo = new ApolloClient({ link, cache: new InMemoryCache() });
    const apolloLive = apolloConversation(apollo, gql, sockets[0], hex(session));
    stops.push(apolloLive.stop);
    const apolloView = () => viewOfList((apolloLive.query.getCurrentResult().data as ConversationData | undefined)?.session?.messages.nodes ?? []);
    // urql
    const urqlView: View = {};
    stops.push(await urqlConversation(urqlClient(`http://127.0.0.1:${port}/graphql`, token, sockets[1]), sockets[1], hex(session), (m) => (urqlView[m._id] = { text: m.text, completed: m.completed })));
    // graphql-ws, from the last message of a query
    const start = await storedView(session, token);
    const plainView: View = { ...start };
    stops.push(followConversation(sockets[2], hex(session), Object.keys(start).sort().pop() ?? null, (m) => (plainView[m._id] = { text: m.text, completed: m.completed })));
    await apolloLive.started;

    // the writer: a message every 40 ms, a reply streaming then completed; the gateway restarted midway
    let reply: ObjectId | undefined;
    let pieces: string[] = [];
    for (let i = 0; i < 60; i++) {
      if (i === 20) {
        await copy.stop();
      }
      if (i === 26) copy = await startCopy(port);
      const doc = i % 12 === 5 ? chatMessage(gw.fixtures, session, '', { streaming: (pieces = [`r${i}`]) }) : chatMessage(gw.fixtures, session, `m${i}`);
      if (i % 12 === 5) reply = doc._id;
      await gw.db.collection('chat').insertOne(doc);
      written.push(doc._id);
      if (reply && i % 3 === 0) await gw.db.collection('chat').updateOne({ _id: reply }, { $set: { chunks: chunksOf((pieces = [...pieces, `+${i}`])) } });
      if (reply && i % 12 === 10) await gw.db.collection('chat').updateOne({ _id: reply }, { $set: { 'message.message.text': `final ${i}`, 'message.message.overwrite': true, completed: true }, $unset: { chunks: '' } });
      await sleep(40);
    }
    const stored = await storedView(session, token);
    expect(Object.keys(stored).length).toBeGreaterThanOrEqual(60);
    const deadline = Date.now() + 15_000;
    const views = () => ({ apollo: apolloView(), urql: urqlView, graphqlWs: plainView });
    while (Date.now() < deadline && !Object.values(views()).every((view) => JSON.stringify(sorted(view)) === JSON.stringify(sorted(stored)))) await sleep(200);
    expect(sorted(views().apollo)).toEqual(sorted(stored));
    expect(sorted(views().urql)).toEqual(sorted(stored));
    expect(sorted(views().graphqlWs)).toEqual(sorted(stored));
    // Apollo's list is in _id order
    const apolloIds = (apolloLive.query.getCurrentResult().data as ConversationData).session!.messages.nodes.map((node) => node._id);
    expect(apolloIds).toEqual([...apolloIds].sort());
  } finally {
    for (const stop of stops) stop();
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await copy.stop().catch(() => undefined);
    await gw.db.collection('chat').deleteMany({ _id: { $in: written } });
  }
}, 60_000);

function sorted(view: View): Array<[string, View[string]]> {
  return Object.entries(view).sort(([a], [b]) => (a < b ? -1 : 1));
}
