/**
 * The schema generates good types (CONTRACT §5), shown with the tools frontends use: GraphQL Code
 * Generator (client preset) generates from the committed schema.graphql and the generated operations
 * type-check under `tsc --strict`; relay-compiler compiles a `@refetchable` Session fragment and a
 * `@connection` on `sessions`, and the refetch query it generates gets the session back through
 * `node(id)` from the running gateway.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestGateway, type TestGateway } from './support/gateway';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const SCHEMA = path.join(ROOT, 'schema.graphql');

let gw: TestGateway;
let work: string;
beforeAll(async () => {
  gw = await startTestGateway();
  // inside the project (test/artifacts is ignored), so that generated code finds the project's packages
  mkdirSync(path.join(ROOT, 'test', 'artifacts'), { recursive: true });
  work = mkdtempSync(path.join(ROOT, 'test', 'artifacts', 'client-tooling-'));
});
afterAll(async () => {
  await gw.stop();
  rmSync(work, { recursive: true, force: true });
});

it('GraphQL Code Generator (client preset) generates typed operations that type-check under --strict', async () => {
  const dir = path.join(work, 'codegen');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'operations.ts'), `import { graphql } from './gql';
export const Dashboard = graphql(\`
  query Dashboard($team: ObjectId!, $first: Int = 20, $after: String) {
    sessions(teamId: $team, first: $first, after: $after) {
      edges { cursor node { id _id name status startDate sharingConfig { id mode storedMode permissions { granteeId value } } app { id name type } } }
      pageInfo { hasNextPage endCursor }
    }
  }
\`);
export const Detail = graphql(\`
  query Detail($id: ObjectId!) {
    session(_id: $id) { id name tools { id name type datasource { id name recordCount { total success failure } } } models { id name modelType } }
  }
\`);
`);
  // the README's codegen.ts, run by the codegen CLI
  writeFileSync(path.join(dir, 'codegen.ts'), `import type { CodegenConfig } from '@graphql-codegen/cli';
const config: CodegenConfig = {
  schema: ${JSON.stringify(SCHEMA)},
  documents: [${JSON.stringify(path.join(dir, 'operations.ts'))}],
  generates: {
    ${JSON.stringify(path.join(dir, 'gql') + '/')}: {
      preset: 'client',
      config: { scalars: { ObjectId: 'string', DateTime: 'string', JSON: 'unknown' }, enumsAsTypes: true },
    },
  },
};
export default config;
`);
  await run(process.execPath, [path.join(ROOT, 'node_modules', '.bin', 'graphql-codegen'), '--config', path.join(dir, 'codegen.ts')], { cwd: ROOT, timeout: 100_000 });
  writeFileSync(path.join(dir, 'use.ts'), `import type { DashboardQuery, DetailQuery } from './gql/graphql';
type Node = NonNullable<DashboardQuery['sessions']['edges'][number]>['node'];
export function label(node: Node): string {
  const id: string = node.id; // ID!: non-null
  const mode: 'PUBLIC' | 'TEAM' | 'RESTRICTED' | 'WHITELIST' | 'OWNER' = node.sharingConfig?.mode ?? 'TEAM';
  const grantees: string[] = (node.sharingConfig?.permissions ?? []).map((p) => p.granteeId);
  const started: string | null | undefined = node.startDate; // DateTime mapped to string
  const objectId: string = node._id; // ObjectId mapped to string
  return [id, objectId, node.name ?? '', mode, grantees.join(','), started ?? ''].join(' ');
}
export function total(detail: DetailQuery): number {
  const type: 'FUNCTION' | 'RAG' | 'BUILTIN' | null | undefined = detail.session?.tools[0]?.type;
  void type;
  return (detail.session?.tools ?? []).reduce((sum, tool) => sum + (tool.datasource?.recordCount?.total ?? 0), 0);
}
`);
  const generated = readFileSync(path.join(dir, 'gql', 'graphql.ts'), 'utf8');
  expect(generated).toContain('export type DashboardQuery');
  expect(generated).not.toMatch(/ObjectId: \{ input: any; output: any; \}/);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const typecheck = run(process.execPath, [tsc, '--strict', '--noEmit', '--skipLibCheck', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', path.join(dir, 'use.ts')], { cwd: ROOT });
  await expect(typecheck.catch((error: { stdout?: string }) => Promise.reject(new Error(`tsc --strict: ${error.stdout}`)))).resolves.toBeDefined();
}, 120_000);

it('relay-compiler compiles a @refetchable Session fragment and a @connection on sessions; the refetch query gets the node back', async () => {
  const dir = path.join(work, 'relay');
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(path.join(dir, 'src', 'cards.ts'), `import { graphql } from 'relay-runtime';
export const card = graphql\`
  fragment SessionCard_session on Session @refetchable(queryName: "SessionCardRefetchQuery") {
    id name status sharingConfig { id mode permissions { granteeId value } } agents { id name }
  }
\`;
export const list = graphql\`
  fragment SessionList_query on Query
  @argumentDefinitions(teamId: { type: "ObjectId!" }, count: { type: "Int", defaultValue: 5 }, cursor: { type: "String" })
  @refetchable(queryName: "SessionListPaginationQuery") {
    sessions(teamId: $teamId, first: $count, after: $cursor) @connection(key: "SessionList_sessions") { edges { node { id ...SessionCard_session } } }
  }
\`;
`);
  writeFileSync(path.join(dir, 'relay.config.json'), JSON.stringify({
    src: './src', schema: SCHEMA, language: 'typescript', customScalarTypes: { ObjectId: 'string', DateTime: 'string', JSON: 'unknown' },
  }));
  await run(process.execPath, [path.join(ROOT, 'node_modules', 'relay-compiler', 'cli.js')], { cwd: dir, timeout: 60_000 });
  const artifact = (name: string) => readFileSync(path.join(dir, 'src', '__generated__', `${name}.graphql.ts`), 'utf8');
  const text = (name: string) => JSON.parse(/"text": ("(?:[^"\\]|\\.)*")/.exec(artifact(name))![1]) as string;

  // the refetch query: node(id) with the fragment, sent to the gateway with a session's global id
  const { body } = await gw.graphql(`{ session(_id: "${gw.fixtures.sessions.teamCrew.toHexString()}") { id } }`, {}, gw.tokenFor('member'));
  const refetched = await gw.graphql(text('SessionCardRefetchQuery'), { id: body.data.session.id }, gw.tokenFor('member'));
  expect(refetched.body.errors).toBeUndefined();
  expect(refetched.body.data.node).toMatchObject({ __typename: 'Session', id: body.data.session.id, name: 'Team crew run', sharingConfig: { mode: 'TEAM' } });
  // the pagination query of the connection
  const page = await gw.graphql(text('SessionListPaginationQuery'), { teamId: gw.fixtures.teams.acmeMain.toHexString(), count: 2 }, gw.tokenFor('member'));
  expect(page.body.errors).toBeUndefined();
  expect(page.body.data.sessions.edges).toHaveLength(2);
  expect(page.body.data.sessions.pageInfo).toMatchObject({ hasNextPage: true, endCursor: expect.any(String) });
}, 120_000);
