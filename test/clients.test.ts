/**
 * The clients frontends use, against the real gateway: Apollo Client 3 with its InMemoryCache and the
 * default `errorPolicy` (none), with no type policies. A dashboard list renders every session, the
 * one with a stored sharing mode outside the enum included; two sessions that grant the same grantee
 * different values keep their own values in the cache; and the cache prints no warning.
 */
import type * as ApolloCore from '@apollo/client/core' with { 'resolution-mode': 'import' };
import { ObjectId } from 'mongodb';
import { startTestGateway, type TestGateway } from './support/gateway';

// Apollo Client's types are those of its ES module; at run time its CommonJS build is loaded.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ApolloClient, gql, HttpLink, InMemoryCache } = require('@apollo/client/core') as typeof ApolloCore;

let gw: TestGateway;
const printed: string[] = [];
const spies: jest.SpyInstance[] = [];
beforeAll(async () => {
  gw = await startTestGateway();
  for (const method of ['warn', 'error', 'log'] as const) {
    spies.push(jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(`${method}: ${args.map(String).join(' ')}`)));
  }
});
afterAll(async () => {
  for (const spy of spies) spy.mockRestore();
  await gw.stop();
});

function client(token: string) {
  return new ApolloClient({
    link: new HttpLink({ uri: `${gw.url}/graphql`, headers: { authorization: `Bearer ${token}` }, fetch }),
    cache: new InMemoryCache(),
  });
}

const DASHBOARD = gql`query Dashboard($team: ObjectId!) {
  sessions(teamId: $team, first: 50) { nodes { id _id name status sharingConfig { id mode storedMode permissions { granteeId value } } } }
}`;

it('renders a dashboard of every session, the unknown sharing mode included, and keeps each session’s grants apart', async () => {
  const f = gw.fixtures;
  const grantee = f.accounts.sharedWith.toHexString();
  const template = await gw.db.collection('sessions').findOne({ _id: f.sessions.teamCrew });
  const [viewing, editing] = [new ObjectId(), new ObjectId()];
  await gw.db.collection('sessions').insertMany([
    { ...template, _id: viewing, name: 'Grants view', sharingConfig: { mode: 'restricted', permissions: { [grantee]: 'view' } } },
    { ...template, _id: editing, name: 'Grants edit', sharingConfig: { mode: 'restricted', permissions: { [grantee]: 'edit' } } },
  ]);
  try {
    const apollo = client(gw.tokenFor('owner'));
    const { data, errors } = await apollo.query({ query: DASHBOARD, variables: { team: f.teams.acmeMain.toHexString() } });
    expect(errors).toBeUndefined();
    const sessions = data.sessions.nodes as Array<{ name: string; sharingConfig: { mode: string; storedMode: string | null; permissions: Array<{ granteeId: string; value: string }> } }>;
    const named = (name: string) => sessions.find((s) => s.name === name)!;
    expect(named('Unknown mode').sharingConfig).toMatchObject({ mode: 'TEAM', storedMode: 'secret-club' });
    expect(named('Grants view').sharingConfig.permissions).toEqual([{ __typename: 'SharingPermission', granteeId: grantee, value: 'view' }]);
    expect(named('Grants edit').sharingConfig.permissions).toEqual([{ __typename: 'SharingPermission', granteeId: grantee, value: 'edit' }]);

    // a second query selecting other fields of the same objects: merged in the cache, nothing lost
    await apollo.query({ query: gql`query Modes($team: ObjectId!) { sessions(teamId: $team, first: 50) { nodes { id sharingConfig { id mode } } } }`, variables: { team: f.teams.acmeMain.toHexString() } });
    const again = await apollo.query({ query: DASHBOARD, variables: { team: f.teams.acmeMain.toHexString() }, fetchPolicy: 'cache-only' });
    expect(again.data).toEqual(data);
    expect(printed).toEqual([]);
  } finally {
    await gw.db.collection('sessions').deleteMany({ _id: { $in: [viewing, editing] } });
  }
});

it('normalizes nodes by their global id: the same agent through two sessions is two records, each with its session’s view', async () => {
  const apollo = client(gw.tokenFor('owner'));
  const query = gql`query Two($a: ObjectId!, $b: ObjectId!) { a: session(_id: $a) { id agents { id _id name } } b: session(_id: $b) { id agents { id _id name } } }`;
  const { data } = await apollo.query({ query, variables: { a: gw.fixtures.sessions.teamCrew.toHexString(), b: gw.fixtures.sessions.restricted.toHexString() } });
  const cache = apollo.cache.extract() as Record<string, { __typename?: string; _id?: string }>;
  const [throughA, throughB] = [data.a.agents[0], data.b.agents[0]];
  expect(throughA._id).toBe(throughB._id);
  // one agent, two records: each id names the session it was reached through
  expect(throughA.id).not.toBe(throughB.id);
  expect(Buffer.from(throughA.id, 'base64url').toString()).toBe(`Agent:${throughA._id}:${gw.fixtures.sessions.teamCrew.toHexString()}`);
  expect(Buffer.from(throughB.id, 'base64url').toString()).toBe(`Agent:${throughB._id}:${gw.fixtures.sessions.restricted.toHexString()}`);
  expect(cache[`Agent:${throughA.id}`]).toMatchObject({ __typename: 'Agent', _id: throughA._id });
  expect(cache[`Agent:${throughB.id}`]).toMatchObject({ __typename: 'Agent', _id: throughB._id });
  expect(printed).toEqual([]);
});
