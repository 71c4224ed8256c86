/**
 * `npm run schema`: writes the schema the code builds to schema.graphql, the SDL committed for client
 * tooling (codegen). A test fails when the file and the code disagree.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { printSchema } from 'graphql';
import { buildGatewaySchema } from './gateway-schema';

export const SCHEMA_FILE = path.resolve(__dirname, '..', '..', '..', 'schema.graphql');

export function printGatewaySchema(): string {
  return `${printSchema(buildGatewaySchema())}\n`;
}

if (require.main === module) {
  writeFileSync(SCHEMA_FILE, printGatewaySchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
