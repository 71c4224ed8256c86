import type { DemoData } from '../src/seed/generate';
import type { Conversation } from './conversation';

/** The benchmark targets: what each one requests, for a rotating list of crew sessions. */
export interface Target {
  key: string;
  title: string;
  method: 'GET' | 'POST';
  /** The process that serves it: the gateway's (with the baselines), the peer's, or the gateway's variant (BENCH_VARIANT). */
  server: 'gateway' | 'peer' | 'variant';
  /** The target it is compared with: its CPU per request over that one's, round by round. */
  against?: string;
  /** Connections of its own, when the default's would queue its requests past the deadline. */
  connections?: number;
  /** The path and body of the i-th request. */
  request(i: number): { path: string; body?: string };
}

const FULL_GRAPH = `_id name status startDate tokensUsed sharingConfig { mode }
  app { _id name type crew { _id name process } kickOffVariables { name } }
  tasks { _id name description agent { _id name } tools { _id name } variables { name } }
  agents { _id name role model { name } tools { name } variables { name } }
  tools { _id name type datasource { name } } models { _id name model } datasources { _id name }`;

/** With `variant`, the gateway's REST and GraphQL targets again on the variant's process, each after its own. */
export function targets(teamId: string, sessionIds: string[], conversation: Conversation = { sessionId: sessionIds[0], pageCursors: [''] }, variant = false): Target[] {
  const all = baseTargets(teamId, sessionIds, conversation);
  if (!variant) return all;
  return all.flatMap((target) => ['rest', 'graphql-one', 'graphql-page', 'graphql-stack'].includes(target.key)
    ? [target, { ...target, key: `variant-${target.key}`, title: `Variant (BENCH_VARIANT): ${target.title}`, server: 'variant' as const, against: target.key }]
    : [target]);
}

function baseTargets(teamId: string, sessionIds: string[], conversation: Conversation): Target[] {
  const pick = (i: number) => sessionIds[i % sessionIds.length];
  const graphql = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
  const one = (i: number) => ({ path: '/graphql', body: graphql(`query($id: ObjectId!) { session(_id: $id) { ${FULL_GRAPH} } }`, { id: pick(i) }) });
  const page = () => ({ path: '/graphql', body: graphql(`query($team: ObjectId!) { sessions(teamId: $team, first: 20) { edges { node { ${FULL_GRAPH} } } } }`, { team: teamId }) });
  // each compared pair measured back to back, so that both see the same moment of a noisy machine
  return [
    { key: 'rest', title: 'REST compat route', method: 'GET', server: 'gateway', against: 'floor', request: (i) => ({ path: `/${teamId}/session/${pick(i)}.json` }) },
    { key: 'floor', title: 'Floor: hand-written batched handler', method: 'GET', server: 'gateway', request: (i) => ({ path: `/floor/${teamId}/session/${pick(i)}.json` }) },
    { key: 'graphql-one', title: 'GraphQL: one session, full graph', method: 'POST', server: 'gateway', against: 'peer-one', request: one },
    { key: 'peer-one', title: 'Peer (Fastify + Mercurius + graphql-jit): one session', method: 'POST', server: 'peer', request: one },
    { key: 'graphql-page', title: 'GraphQL: sessions(first: 20), full graphs', method: 'POST', server: 'gateway', against: 'peer-page', request: page },
    { key: 'peer-page', title: 'Peer: sessions(first: 20), full graphs', method: 'POST', server: 'peer', request: page },
    // the stack alone: the token checked, the caller's account read, the request parsed, run and answered
    { key: 'graphql-stack', title: 'GraphQL: { __typename }, the stack alone', method: 'POST', server: 'gateway', against: 'peer-stack', request: () => ({ path: '/graphql', body: graphql('{ __typename }', {}) }) },
    { key: 'peer-stack', title: 'Peer: { __typename }', method: 'POST', server: 'peer', request: () => ({ path: '/graphql', body: graphql('{ __typename }', {}) }) },
    {
      key: 'graphql-list', title: 'GraphQL: list view, sessions(first: 50) names and app names', method: 'POST', server: 'gateway',
      request: () => ({ path: '/graphql', body: graphql(`query($team: ObjectId!) { sessions(teamId: $team, first: 50) { edges { node { _id name app { name } } } } }`, { team: teamId }) }),
    },
    { key: 'webapp', title: 'Baseline: the webapp’s way', method: 'GET', server: 'gateway', request: (i) => ({ path: `/baseline/${teamId}/session/${pick(i)}.json` }) },
    // last: on the embedded database these take seconds per request, and would slow the targets after them
    // Two connections: one body takes the embedded database about a second, so ten at once would wait
    // past the request deadline (REQUEST_TIMEOUT_MS, 10 s) and measure the queue instead of the body.
    {
      key: 'messages-rest', title: 'REST: messages.json of a 10,000-message session', method: 'GET', server: 'gateway', against: 'messages-floor', connections: 2,
      request: () => ({ path: `/${teamId}/session/${conversation.sessionId}/messages.json` }),
    },
    {
      key: 'messages-floor', title: 'Floor: hand-written messages.json of that session', method: 'GET', server: 'gateway', connections: 2,
      request: () => ({ path: `/floor/${teamId}/session/${conversation.sessionId}/messages.json` }),
    },
    {
      key: 'messages-graphql', title: 'GraphQL: messages(first: 100) pages of that session', method: 'POST', server: 'gateway',
      request: (i) => {
        const after = conversation.pageCursors[i % conversation.pageCursors.length];
        return {
          path: '/graphql',
          body: graphql(`query($id: ObjectId!, $after: String) { session(_id: $id) { messages(first: 100, after: $after) { edges { cursor node { _id text authorName ts type } } pageInfo { hasNextPage } } } }`,
            { id: conversation.sessionId, after: after || null }),
        };
      },
    },
  ];
}

/** The crew sessions the targets rotate over: the team's last 50. */
export function crewSessions(data: DemoData, teamId: string): string[] {
  const crewApps = new Set(data.collections.apps.filter((app) => app.type === 'crew' && String(app.teamId) === teamId).map((app) => String(app._id)));
  return data.collections.sessions
    .filter((s) => String(s.teamId) === teamId && crewApps.has(String(s.appId)))
    .slice(-50)
    .map((s) => String(s._id));
}
