/**
 * The schema and the data model cannot disagree: the gateway refuses to start on a schema whose
 * fields, types or list sizes are not the model's, and names each field that differs.
 */
import { buildASTSchema, concatAST, parse, print } from 'graphql';
import { MongoClient } from 'mongodb';
import { createGatewayApp } from '../src/server/app';
import { buildSubgraphGatewaySchema } from '../src/assembly/subgraph-schema';
import { printSchemaWithDirectives } from '../src/federation/print-sdl';
import { buildGatewaySchema } from '../src/assembly/gateway-schema';
import { checkSchemaAgainstModel, SchemaModelMismatch } from '../src/schema/model-conformance';
import { createLogger } from '../src/observability/logger';

const KEY_DIRECTIVE = 'directive @key(fields: String!) repeatable on OBJECT | INTERFACE';

/** The gateway's own schema as SDL, with its `@key`s, edited by `edit` and built again. */
function editedSchema(edit: (sdl: string) => string) {
  const sdl = print(printSchemaWithDirectives(buildGatewaySchema()));
  const edited = edit(sdl);
  expect(edited).not.toBe(sdl); // the edit took
  return buildASTSchema(concatAST([parse(KEY_DIRECTIVE), parse(edited)]));
}

/** Replaces one line of a type's body: the type's `{` up to its `}`. */
const inType = (typeName: string, from: RegExp, to: string) => (sdl: string) =>
  sdl.replace(new RegExp(`(type ${typeName} [^{]*\\{[^}]*)`), (body) => body.replace(from, to));

function problemsOf(schema: ReturnType<typeof editedSchema>): readonly string[] {
  try {
    checkSchemaAgainstModel(schema);
  } catch (error) {
    if (error instanceof SchemaModelMismatch) return error.problems;
    throw error;
  }
  return [];
}

it('passes the schemas the gateway serves, plain and federated, and the unedited SDL', () => {
  expect(() => checkSchemaAgainstModel(buildGatewaySchema())).not.toThrow();
  expect(() => checkSchemaAgainstModel(buildSubgraphGatewaySchema())).not.toThrow();
  expect(problemsOf(editedSchema((sdl) => `${sdl}\n`))).toEqual([]);
});

it('refuses to start on a schema whose relation field was renamed, naming the field, and the list that now has no cost', async () => {
  const schema = editedSchema(inType('Agent', /\n  tools: \[Tool!\]!/, '\n  toolList: [Tool!]!'));
  const client = new MongoClient('mongodb://127.0.0.1:9/never-connected'); // the start fails before any read
  const start = createGatewayApp({ db: client.db('x'), jwtSecret: 'x'.repeat(32), logger: createLogger('silent'), schema, metricsEnabled: false });
  await expect(start).rejects.toThrow(SchemaModelMismatch);
  await expect(start).rejects.toThrow(/Agent\.tools: no such field in the schema/);
  await expect(start).rejects.toThrow(/Agent\.toolList: a list of documents with no size for the query cost/);
});

it('names a relation whose list-ness, type or nullability differs from the model', () => {
  expect(problemsOf(editedSchema(inType('Crew', /\n  tasks: \[Task!\]!/, '\n  tasks: Task')))).toEqual([
    'Crew.tasks: the model says a list, the schema Task',
    'Crew.tasks: given a list size, but it is not a list',
  ]);
  expect(problemsOf(editedSchema(inType('Agent', /\n  model: Model/, '\n  model: Tool')))).toEqual([expect.stringMatching(/^Agent\.model: the model says Model, the schema Tool/)]);
  expect(problemsOf(editedSchema(inType('Agent', /\n  model: Model/, '\n  model: Model!')))).toEqual(['Agent.model: the model says Model, the schema Model!']);
  expect(problemsOf(editedSchema(inType('Session', /\n  tools: \[Tool!\]!/, '\n  tools: [Tool]')))).toEqual(['Session.tools: the model says [Tool!]!, the schema [Tool]']);
});

it('names a node type that lost Node or its federation key, and a paged field that lost its size argument', () => {
  expect(problemsOf(editedSchema((sdl) => sdl.replace('type Datasource implements Node @key(fields: "id")', 'type Datasource @key(fields: "id")')))).toContain(
    'Datasource (collection datasources): does not implement Node',
  );
  expect(problemsOf(editedSchema((sdl) => sdl.replace('type Message implements Node @key(fields: "id")', 'type Message implements Node')))).toEqual([
    'Message (collection chat): no federation key @key(fields: "id")',
  ]);
  expect(problemsOf(editedSchema((sdl) => sdl.replace(/sessions\(\n?([^)]*)first: Int! = 20/, (match) => match.replace('first:', 'count:'))))).toContain(
    'Query.sessions: its page is sized by `first`, which the field does not take',
  );
});
