/**
 * `npm run schema:check` (and the first step of `npm test`): the schema the code builds against the
 * last released one, as src/schema/compatibility.ts rules. `npm run schema:release` makes the current schema the
 * released one, once the CHANGELOG's Unreleased section has become a release.
 */
import 'reflect-metadata';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { schemaCompatibility } from '../schema/compatibility';
import { printGatewaySchema, SCHEMA_FILE } from './print-schema';

const ROOT = path.dirname(SCHEMA_FILE);
const RELEASED_SCHEMA_FILE = path.join(ROOT, 'schema.released.graphql');
const CHANGELOG_FILE = path.join(ROOT, 'CHANGELOG.md');

/** `--released FILE`, `--changelog FILE`: other files to check against (a scratch release, in a test). */
function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]) : fallback;
}

if (require.main === module) {
  if (process.argv.includes('--release')) {
    copyFileSync(SCHEMA_FILE, RELEASED_SCHEMA_FILE);
    console.log(`schema: ${path.basename(SCHEMA_FILE)} is now the released schema`);
  } else {
    const report = schemaCompatibility(
      readFileSync(argument('--released', RELEASED_SCHEMA_FILE), 'utf8'),
      printGatewaySchema(),
      readFileSync(argument('--changelog', CHANGELOG_FILE), 'utf8'),
    );
    for (const change of report.dangerous) console.log(`schema: dangerous: ${change}`);
    for (const change of report.listed) console.log(`schema: breaking, listed in the CHANGELOG: ${change}`);
    for (const change of report.refused) console.error(`schema: refused: ${change}`);
    console.log(`schema: ${report.refused.length === 0 ? 'compatible with the released schema' : `${report.refused.length} breaking change(s) refused`}`);
    process.exitCode = report.refused.length === 0 ? 0 : 1;
  }
}
