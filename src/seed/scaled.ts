/**
 * Bulk demo data for load and paging tests. For each team, `scale` crew apps, each with its own crew
 * and 1-3 sessions. Crew i takes a sliding window of the team's task and agent pools (tasks
 * i .. i+crewTasks-1, agents i .. i+crewAgents-1), so neighbouring crews share most of their members
 * and every collection grows by about `scale` documents per team, not `scale * crewTasks`.
 */
import type { ObjectId } from 'mongodb';
import { SESSION_STATUSES } from '../data-model/session-status';
import type { SeedContext, TeamScope } from './context';
import type { GeneratedSession } from './messages';
import {
  agentDoc,
  appDoc,
  crewDoc,
  datasourceDoc,
  modelDoc,
  queryParameters,
  sessionDoc,
  taskDoc,
  toolDoc,
  variableDoc,
} from './documents';

export interface ScaleOptions {
  scale: number;
  crewTasks: number;
  crewAgents: number;
}

/** A team to fill, as the named fixtures describe it. */
export interface ScaledTeam {
  /** Short label used in names and secret labels, e.g. 'acmeMain'. */
  key: string;
  name: string;
  scope: TeamScope;
  ownerId: ObjectId;
  ownerName: string;
  /** The global built-in tool some agents use too. */
  builtinToolId: ObjectId;
}

/** The ids of one team's pools. */
interface Pools {
  variables: ObjectId[];
  models: ObjectId[];
  tools: ObjectId[];
  agents: ObjectId[];
  tasks: ObjectId[];
}

/** Shared across teams so modes and statuses cycle over the whole data set. */
interface SessionCounter {
  next: number;
  sessions: GeneratedSession[];
}

/** Adds the generated documents; returns the generated sessions, in the order they were made. */
export function addScaledData(ctx: SeedContext, teams: ScaledTeam[], options: ScaleOptions): GeneratedSession[] {
  const sessions: GeneratedSession[] = [];
  if (options.scale === 0) {
    return sessions;
  }
  const counter: SessionCounter = { next: 0, sessions };
  for (const team of teams) {
    const pools = addPools(ctx, team, options);
    for (let i = 0; i < options.scale; i++) {
      addCrewApp(ctx, team, pools, i, options, counter);
    }
  }
  return sessions;
}

function pad(n: number): string {
  return String(n).padStart(5, '0');
}

/** Element `i` of a pool, wrapping around. */
function at(pool: ObjectId[], i: number): ObjectId {
  return pool[i % pool.length];
}

function window(pool: ObjectId[], start: number, size: number): ObjectId[] {
  return pool.slice(start, start + size);
}

function addPools(ctx: SeedContext, team: ScaledTeam, o: ScaleOptions): Pools {
  const taskCount = o.crewTasks > 0 ? o.scale + o.crewTasks - 1 : 0;
  const agentCount = o.crewAgents > 0 ? o.scale + o.crewAgents - 1 : 0;
  const sharedCount = Math.max(taskCount, agentCount, 1);
  const embedderId = addEmbedder(ctx, team);
  const pools: Pools = {
    // Two more than the tasks/agents so task k can use k+1 and agent k can use k+2 without wrapping.
    variables: range(sharedCount + 2).map((k) => addVariable(ctx, team, k)),
    models: range(agentCount).map((k) => addModel(ctx, team, k)),
    tools: range(sharedCount).map((k) => addTool(ctx, team, k, embedderId)),
    agents: [],
    tasks: [],
  };
  for (let k = 0; k < agentCount; k++) {
    pools.agents.push(addAgent(ctx, team, pools, k));
  }
  // Pushed one by one: task k's context is task k-1.
  for (let k = 0; k < taskCount; k++) {
    pools.tasks.push(addTask(ctx, team, pools, k, o.crewTasks));
  }
  return pools;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function addEmbedder(ctx: SeedContext, team: ScaledTeam): ObjectId {
  const id = ctx.nextId();
  ctx.add('models', modelDoc(id, team.scope, {
    name: `${team.name} embedder`, model: 'text-embedding-3-small', modelType: 'embedding', embeddingLength: 1536,
    type: 'open_ai', config: { model: 'text-embedding-3-small', api_key: ctx.secret(`model-${team.key}-embedder`) },
  }));
  return id;
}

function addVariable(ctx: SeedContext, team: ScaledTeam, k: number): ObjectId {
  const id = ctx.nextId();
  ctx.add('variables', variableDoc(id, team.scope, `var_${k}`, `value ${k}`, `Generated variable ${k}`));
  return id;
}

function addModel(ctx: SeedContext, team: ScaledTeam, k: number): ObjectId {
  const id = ctx.nextId();
  const [type, model] = k % 2 === 0 ? ['open_ai', 'gpt-4o-mini'] : ['anthropic', 'claude-3-haiku-20240307'];
  ctx.add('models', modelDoc(id, team.scope, {
    name: `Model ${k}`, model, modelType: 'llm', embeddingLength: 0, type,
    config: { model, api_key: ctx.secret(`model-${team.key}-${pad(k)}`) },
  }));
  return id;
}

/** Even k: a function tool with a secret environment variable; odd k: a rag tool with its own datasource. */
function addTool(ctx: SeedContext, team: ScaledTeam, k: number, embedderId: ObjectId): ObjectId {
  const name = `tool_${k}`;
  const parameters = queryParameters('The input.');
  if (k % 2 === 0) {
    const id = ctx.nextId();
    ctx.add('tools', toolDoc(id, team.scope, {
      name: `Function ${k}`, description: `Generated function tool ${k}`, type: 'function',
      data: {
        name, description: `Generated function tool ${k}`, builtin: false, runtime: 'python3.11',
        code: `def ${name}(query):\n    return query\n`, requirements: '',
        environmentVariables: { API_KEY: ctx.secret(`env-${team.key}-${pad(k)}`) }, parameters,
      },
    }));
    return id;
  }
  const datasourceId = ctx.nextId();
  ctx.add('datasources', datasourceDoc(datasourceId, team.scope, {
    name: `Datasource ${k}`, description: `Generated datasource ${k}`, originalName: `source_${k}`,
    sourceType: 'postgres', recordCount: { total: 10 * k, success: 10 * k, failure: 0 }, modelId: embedderId,
    connectionSettings: { host: 'db.example', username: 'reader', password: ctx.secret(`ds-${team.key}-${pad(k)}`) },
  }));
  const id = ctx.nextId();
  ctx.add('tools', toolDoc(id, team.scope, {
    name: `Search ${k}`, description: `Searches datasource ${k}`, type: 'rag', datasourceId,
    retriever_type: 'raw', retriever_config: { k: 4 },
    data: {
      name, description: `Searches datasource ${k}`, builtin: false, runtime: null, code: '', requirements: '',
      environmentVariables: {}, parameters,
    },
  }));
  return id;
}

function addAgent(ctx: SeedContext, team: ScaledTeam, pools: Pools, k: number): ObjectId {
  const id = ctx.nextId();
  ctx.add('agents', agentDoc(id, team.scope, {
    name: `${team.key} agent ${k}`,
    role: 'Worker',
    goal: `Do step ${k}`,
    backstory: 'Generated.',
    modelId: pools.models[k],
    functionModelId: k % 2 === 1 ? at(pools.models, k + 1) : null,
    toolIds: k % 2 === 0 ? [pools.tools[k]] : [pools.tools[k], team.builtinToolId],
    icon: k % 3 === 2 ? null : { id: ctx.nextId(), filename: `agent-${k}.png`, linkedId: id },
    // Every tenth agent is an old document without the field.
    variableIds: k % 10 === 9 ? undefined : [pools.variables[k + 1], pools.variables[k + 2]],
  }));
  return id;
}

function addTask(ctx: SeedContext, team: ScaledTeam, pools: Pools, k: number, crewTasks: number): ObjectId {
  const id = ctx.nextId();
  const nextTool = at(pools.tools, k + 1);
  ctx.add('tasks', taskDoc(id, team.scope, {
    name: `Step ${k}`,
    description: `Generated task ${k}`,
    expectedOutput: 'Text',
    toolIds: k % 2 === 0 ? [nextTool] : [nextTool, pools.tools[k]],
    agentId: pools.agents.length > 0 && k % 6 !== 5 ? at(pools.agents, k) : null,
    context: k % crewTasks === 0 ? [] : [pools.tasks[k - 1]],
    variableIds: [pools.variables[k], pools.variables[k + 1]],
  }));
  return id;
}

function addCrewApp(
  ctx: SeedContext,
  team: ScaledTeam,
  pools: Pools,
  i: number,
  o: ScaleOptions,
  counter: SessionCounter,
): void {
  const crewId = ctx.nextId();
  const hierarchical = i % 2 === 1 && pools.models.length > 0;
  ctx.add('crews', crewDoc(crewId, team.scope, {
    name: `${team.name} crew ${i + 1}`,
    tasks: window(pools.tasks, i, o.crewTasks),
    agents: window(pools.agents, i, o.crewAgents),
    process: hierarchical ? 'hierarchical' : 'sequential',
    managerModelId: hierarchical ? pools.models[i] : null,
  }));
  const appId = ctx.nextId();
  ctx.add('apps', appDoc(appId, team.scope, {
    createdBy: team.ownerId, name: `${team.name} app ${i + 1}`, description: 'Generated crew app',
    tags: ['generated'], author: team.ownerName, icon: null, sharingMode: 'team',
    kickOffVariablesIds: i % 3 === 0 ? null : [pools.variables[i]], type: 'crew', crewId,
  }));
  for (let n = 0; n <= i % 3; n++) {
    counter.sessions.push({ id: addSession(ctx, team, appId, counter.next++), scope: team.scope });
  }
}

/** Session number `j` of the whole generated set: mostly 'team', every tenth 'public'. */
function addSession(ctx: SeedContext, team: ScaledTeam, appId: ObjectId, j: number): ObjectId {
  const id = ctx.nextId();
  ctx.add('sessions', sessionDoc(id, team.scope, {
    name: `Run ${j + 1}`,
    tokensUsed: (j * 7919) % 50_000,
    status: SESSION_STATUSES[j % SESSION_STATUSES.length],
    appId,
    mode: j % 10 === 0 ? 'public' : 'team',
    ...(j % 4 === 0 ? { variables: { var_0: `topic ${j}` } } : {}),
    ...(j % 3 === 0 ? { previewLabel: `Preview of run ${j + 1}` } : {}),
  }));
  return id;
}
