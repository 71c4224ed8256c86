/**
 * The schema evolves without breaking clients: CI compares the schema the code builds with the last
 * released one (schema.released.graphql) and refuses a breaking change that the CHANGELOG does not list
 * with its migration, or a removal that no release shipped deprecated.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { printGatewaySchema } from '../src/assembly/print-schema';
import { coordinateOf, schemaCompatibility, unreleasedBreakingEntries } from '../src/schema/compatibility';

const ROOT = path.resolve(__dirname, '..');
const CURRENT = printGatewaySchema();
const CHANGELOG = readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');

/** A changelog whose Unreleased section lists `entries` as breaking schema changes. */
const changelogWith = (...entries: string[]) => `# Changelog\n\n## Unreleased\n\n### Breaking schema changes\n${entries.join('\n')}\n\n## 2026-12-01: earlier\n\n- \`Agent.tools\`: Migration: an older entry, not this release's.\n`;

/** The current schema with one line of a type's body edited (the released schema, as a scratch release). */
function edited(typeName: string, from: string, to: string): string {
  const start = CURRENT.indexOf(`type ${typeName} `);
  const end = CURRENT.indexOf('\n}', start);
  const body = CURRENT.slice(start, end);
  expect(body).toContain(from);
  return CURRENT.slice(0, start) + body.replace(from, to) + CURRENT.slice(end);
}

it('passes the repository as it is: the generated schema against the released one and the CHANGELOG', () => {
  const report = schemaCompatibility(readFileSync(path.join(ROOT, 'schema.released.graphql'), 'utf8'), CURRENT, CHANGELOG);
  expect(report.refused).toEqual([]);
});

it('refuses a removed field that no release shipped deprecated, listed or not', () => {
  // the released schema had a field the code no longer builds
  const released = edited('Agent', '\n  tools: [Tool!]!', '\n  tools: [Tool!]!\n  toolNames: [String!]!');
  for (const changelog of [changelogWith(), changelogWith('- `Agent.toolNames`: gone. Migration: read `tools { name }`.')]) {
    const report = schemaCompatibility(released, CURRENT, changelog);
    expect(report.refused).toEqual([expect.stringMatching(/^Agent\.toolNames was removed\. It was not deprecated in the released schema/)]);
  }
});

it('lets a deprecated field go once the CHANGELOG lists it with its migration, and not before', () => {
  const released = edited('Agent', '\n  tools: [Tool!]!', '\n  tools: [Tool!]!\n  toolNames: [String!]! @deprecated(reason: "Use `tools { name }`.")');
  expect(schemaCompatibility(released, CURRENT, changelogWith()).refused).toEqual([expect.stringMatching(/List `Agent\.toolNames` with its migration/)]);
  expect(schemaCompatibility(released, CURRENT, changelogWith('- `Agent.toolNames`: removed.')).refused).toEqual([expect.stringMatching(/without its migration/)]);
  const report = schemaCompatibility(released, CURRENT, changelogWith('- `Agent.toolNames`: removed. Migration: select `tools { name }`.'));
  expect(report).toMatchObject({ refused: [], listed: ['Agent.toolNames was removed.'] });
});

it('refuses a changed type unless listed, and reports dangerous changes without refusing them', () => {
  const released = edited('Agent', '\n  name: String', '\n  name: Int');
  expect(schemaCompatibility(released, CURRENT, changelogWith()).refused).toEqual([expect.stringMatching(/^Agent\.name changed type from Int to String\. List `Agent\.name`/)]);
  expect(schemaCompatibility(released, CURRENT, changelogWith('- `Agent.name`: text now. Migration: read it as a string.')).refused).toEqual([]);
  // an enum value added is dangerous (a client's exhaustive switch), not breaking
  const fewerModes = CURRENT.replace(/\n  """Only the account that created the session’s app."""\n  OWNER\n/, '\n');
  expect(fewerModes).not.toBe(CURRENT);
  const report = schemaCompatibility(fewerModes, CURRENT, changelogWith());
  expect(report.refused).toEqual([]);
  expect(report.dangerous).toEqual([expect.stringMatching(/OWNER was added to enum type SharingMode/)]);
});

it('reads coordinates from graphql-js descriptions and entries only from the Unreleased section', () => {
  expect(coordinateOf('Agent.tools was removed.')).toBe('Agent.tools');
  expect(coordinateOf('PUBLIC was removed from enum type SharingMode.')).toBe('SharingMode.PUBLIC');
  expect(coordinateOf('A required field limit on input type "PageInput" was added.')).toBe('PageInput.limit');
  expect(coordinateOf('Query.sessions arg first has changed type from Int to Int!.')).toBe('Query.sessions');
  expect(coordinateOf('Icon was removed.')).toBe('Icon');
  expect([...unreleasedBreakingEntries(changelogWith('- `A.b`: x. Migration: y.')).keys()]).toEqual(['A.b']);
  expect([...unreleasedBreakingEntries(CHANGELOG).keys()]).toEqual([]);
});

it('fails the CI step (the command npm test runs first) on a scratch breaking change, naming it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'schema-release-'));
  const released = path.join(dir, 'schema.released.graphql');
  writeFileSync(released, edited('Session', '\n  name: String', '\n  name: String\n  title: String'));
  const command = path.join(ROOT, 'dist', 'src', 'assembly', 'check-compatibility.js');
  const failed = await promisify(execFile)(process.execPath, [command, '--released', released]).then(() => null, (error: { code: number; stderr: string }) => error);
  expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('refused: Session.title was removed.') });
  const { stdout } = await promisify(execFile)(process.execPath, [command]);
  expect(stdout).toContain('schema: compatible with the released schema');
});
