/** The committed schema.graphql is generated from the code; `npm run schema` rewrites it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, printSchema } from 'graphql';
import { printGatewaySchema } from '../src/assembly/print-schema';

const committed = readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8');

it('schema.graphql is what the code builds (run `npm run schema` after changing a type)', () => {
  expect(committed).toBe(printGatewaySchema());
});

it('schema.graphql is valid SDL with the documented entry points', () => {
  const schema = buildSchema(committed);
  const query = schema.getQueryType()!.getFields();
  expect(Object.keys(query).sort()).toEqual(['node', 'nodes', 'session', 'sessions', 'viewer']);
  expect(printSchema(schema)).toContain('scalar ObjectId');
  expect(schema.getType('SessionStatus')!.toString()).toBe('SessionStatus');
});
