import { SeedContext } from './context';
import { createIdFactory } from './ids';
import { addNamedFixtures, teamInfo, teamScope, type NamedFixtures } from './named';
import { addScaledData, type ScaleOptions, type ScaledTeam } from './scaled';
import { addMessages, addScaledMessages } from './messages';
import type { DemoData, GenerateOptions, TeamKey } from './types';

export type {
  CollectionName,
  DemoData,
  DemoFixtures,
  GenerateOptions,
} from './types';

/** 2024-01-15T00:00:00Z: the timestamp of the first generated id; each later id is one second on. */
const DEMO_START_SECONDS = Date.UTC(2024, 0, 15) / 1000;

const SCALED_TEAMS: readonly TeamKey[] = ['acmeMain', 'acmeLabs', 'globexMain'];

/**
 * Builds the demo data set: the named fixtures (docs/access.md cases), plus `scale` generated crew
 * apps per team, two messages in each generated session and a long conversation (`30 × scale`
 * messages unless `conversation` says) in the first. Pure and deterministic: the same options always give the same documents and ids.
 */
export function generateDemoData(options: GenerateOptions = {}): DemoData {
  const scale = resolveOptions(options);
  const ctx = new SeedContext(createIdFactory(DEMO_START_SECONDS));
  const fixtures = addNamedFixtures(ctx);
  const generated = addScaledData(ctx, SCALED_TEAMS.map((team) => scaledTeam(fixtures, team)), scale);
  const messages = addMessages(ctx, fixtures);
  // after every other document, so that no id made before moved
  const longConversation = addScaledMessages(ctx, generated, options.conversation ?? 30 * scale.scale);
  return { collections: ctx.collections, fixtures: { ...fixtures, messages, longConversation, secrets: ctx.secrets } };
}

function resolveOptions(options: GenerateOptions): ScaleOptions {
  const resolved = {
    scale: options.scale ?? 0,
    crewTasks: options.crewTasks ?? 5,
    crewAgents: options.crewAgents ?? 5,
    conversation: options.conversation ?? 0,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
    }
  }
  const { conversation: _checked, ...scale } = resolved;
  return scale;
}

function scaledTeam(f: NamedFixtures, team: TeamKey): ScaledTeam {
  const { name, ownerId, ownerName } = teamInfo(f, team);
  return { key: team, name, scope: teamScope(f, team), ownerId, ownerName, builtinToolId: f.tools.builtinSearch };
}
