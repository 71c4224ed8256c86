/**
 * Whether the schema the code builds keeps the promises of the last released one (schema.released.graphql):
 * graphql-js's findBreakingChanges between the two, where every breaking change must be listed, with its
 * migration, under "Breaking schema changes" of the CHANGELOG's "Unreleased" section, and a field or enum
 * value may go only once a release has shipped it deprecated. Dangerous changes are reported, not refused.
 */
import {
  BreakingChangeType,
  buildSchema,
  findBreakingChanges,
  findDangerousChanges,
  isEnumType,
  isInterfaceType,
  isObjectType,
  type GraphQLSchema,
} from 'graphql';

export interface CompatibilityReport {
  /** Breaking changes listed in the CHANGELOG with a migration. */
  listed: string[];
  /** Breaking changes that must not land as they are, each with why. */
  refused: string[];
  /** Changes that can surprise a client (a default changed, an enum value added), for the record. */
  dangerous: string[];
}

/** The coordinate a change is about (`Type.field`, `Enum.VALUE`, `Type`), read from graphql-js's description. */
export function coordinateOf(description: string): string {
  const enumValue = /^(\w+) was removed from enum type (\w+)/.exec(description);
  if (enumValue) return `${enumValue[2]}.${enumValue[1]}`;
  const inputField = /^A required field (\w+) on input type "?(\w+)"? was added/.exec(description);
  if (inputField) return `${inputField[2]}.${inputField[1]}`;
  const field = /\b([A-Za-z_]\w*\.[A-Za-z_]\w*)\b/.exec(description);
  if (field) return field[1];
  return /^@?([A-Za-z_]\w*)/.exec(description)?.[1] ?? description;
}

/**
 * The entries of "### Breaking schema changes" under "## Unreleased": each a bullet that starts with its
 * coordinate in backticks and says how to migrate (`- \`Type.field\`: what changed. Migration: …`).
 */
export function unreleasedBreakingEntries(changelog: string): Map<string, string> {
  const unreleased = /^## Unreleased\s*$([\s\S]*?)(?=^## )/m.exec(`${changelog}\n## `)?.[1] ?? '';
  const section = /^### Breaking schema changes\s*$([\s\S]*?)(?=^### |$(?![\s\S]))/m.exec(unreleased)?.[1] ?? '';
  const entries = new Map<string, string>();
  for (const line of section.split('\n')) {
    const bullet = /^- `([^`]+)`(.*)$/.exec(line.trim());
    if (bullet) entries.set(bullet[1], bullet[2]);
  }
  return entries;
}

/** Whether the released schema had deprecated what a removal takes away (a field or an enum value). */
function wasDeprecated(released: GraphQLSchema, coordinate: string): boolean {
  const [typeName, member] = coordinate.split('.');
  const type = released.getType(typeName);
  if (isObjectType(type) || isInterfaceType(type)) return Boolean(type.getFields()[member]?.deprecationReason);
  if (isEnumType(type)) return Boolean(type.getValue(member)?.deprecationReason);
  return false;
}

export function schemaCompatibility(releasedSdl: string, currentSdl: string, changelog: string): CompatibilityReport {
  const released = buildSchema(releasedSdl);
  const current = buildSchema(currentSdl);
  const entries = unreleasedBreakingEntries(changelog);
  const report: CompatibilityReport = { listed: [], refused: [], dangerous: findDangerousChanges(released, current).map((change) => change.description) };
  for (const change of findBreakingChanges(released, current)) {
    const coordinate = coordinateOf(change.description);
    const removal = change.type === BreakingChangeType.FIELD_REMOVED || change.type === BreakingChangeType.VALUE_REMOVED_FROM_ENUM;
    const entry = entries.get(coordinate);
    if (removal && !wasDeprecated(released, coordinate)) {
      report.refused.push(`${change.description} It was not deprecated in the released schema: mark it @deprecated(reason:) for a release first.`);
    } else if (entry === undefined) {
      report.refused.push(`${change.description} List \`${coordinate}\` with its migration under "Breaking schema changes" in the CHANGELOG's Unreleased section.`);
    } else if (!/migrat/i.test(entry)) {
      report.refused.push(`${change.description} The CHANGELOG lists \`${coordinate}\` without its migration ("Migration: …").`);
    } else {
      report.listed.push(change.description);
    }
  }
  return report;
}
