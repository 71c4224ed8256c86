/**
 * The named demo documents (always present): two orgs, three teams, accounts with every kind of
 * access, and one session per sharing case of docs/access.md, with the odd shapes real data has
 * (missing app, missing crew, cross-team ids, a built-in tool, an agent without `variableIds`).
 */
import type { Binary, Document, ObjectId } from 'mongodb';
import type { SeedContext, TeamScope } from './context';
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
  type Icon,
  type SessionInput,
} from './documents';
import { permissionBits } from './permissions';
import { Permission } from '../auth/permission-bits';
import type { AccountKey, DemoFixtures, OrgKey, TeamKey } from './types';

export type NamedFixtures = Omit<DemoFixtures, 'secrets' | 'messages' | 'longConversation'>;

const ORGS: Record<OrgKey, { name: string; owner: AccountKey }> = {
  acme: { name: 'Acme', owner: 'owner' },
  globex: { name: 'Globex', owner: 'outsider' },
};

const TEAMS: Record<TeamKey, { name: string; org: OrgKey; owner: AccountKey }> = {
  acmeMain: { name: 'Acme Main', org: 'acme', owner: 'owner' },
  acmeLabs: { name: 'Acme Labs', org: 'acme', owner: 'owner' },
  globexMain: { name: 'Globex Main', org: 'globex', owner: 'outsider' },
};

/** Each account's display name and the teams it belongs to (through `account.orgs`). */
const ACCOUNTS: Record<AccountKey, { name: string; teams: TeamKey[] }> = {
  owner: { name: 'Olivia Owner', teams: ['acmeMain', 'acmeLabs'] },
  teamAdmin: { name: 'Tessa Teamadmin', teams: ['acmeMain'] },
  orgAdmin: { name: 'Oscar Orgadmin', teams: ['acmeLabs'] },
  member: { name: 'Max Member', teams: ['acmeMain'] },
  labsMember: { name: 'Lena Labs', teams: ['acmeLabs'] },
  outsider: { name: 'Otto Outsider', teams: ['globexMain'] },
  root: { name: 'Rita Root', teams: ['globexMain'] },
  appCreator: { name: 'Carl Creator', teams: ['acmeMain'] },
  sharedWith: { name: 'Sam Shared', teams: ['globexMain'] },
};

const ROOT_ACCOUNTS: readonly AccountKey[] = ['root'];
const ORG_ADMINS: Partial<Record<OrgKey, AccountKey[]>> = { acme: ['orgAdmin'] };
const TEAM_ADMINS: Partial<Record<TeamKey, AccountKey[]>> = { acmeMain: ['teamAdmin'] };

const ACCOUNT_KEYS = Object.keys(ACCOUNTS) as AccountKey[];
const TEAM_KEYS = Object.keys(TEAMS) as TeamKey[];

/** Allocates every named id (in a fixed order), then writes the named documents. */
export function addNamedFixtures(ctx: SeedContext): NamedFixtures {
  const f = allocateFixtureIds(ctx);
  addTenancy(ctx, f);
  addAcmeMainContent(ctx, f);
  addGlobexContent(ctx, f);
  addSessions(ctx, f);
  return f;
}

function allocateFixtureIds(ctx: SeedContext): NamedFixtures {
  return {
    orgs: ctx.ids(['acme', 'globex']),
    teams: ctx.ids(TEAM_KEYS),
    accounts: ctx.ids(ACCOUNT_KEYS),
    apikeys: ctx.ids(['memberKey', 'memberExpiredKey', 'memberOldKey']),
    models: ctx.ids(['gpt', 'claude', 'embedder', 'globexModel']),
    datasources: ctx.ids(['docs', 'globexDocs']),
    tools: ctx.ids(['builtinSearch', 'ragTool', 'codeTool', 'globexTool']),
    variables: ctx.ids(['topic', 'audience', 'tone', 'language', 'globexVar']),
    agents: ctx.ids(['chatAgent', 'researcher', 'writer', 'legacyAgent', 'globexAgent']),
    tasks: ctx.ids(['research', 'draft', 'review', 'globexTask']),
    crews: ctx.ids(['contentCrew', 'brokenCrew', 'globexCrew']),
    apps: ctx.ids(['chatApp', 'crewApp', 'brokenCrewApp', 'missingCrewApp', 'globexApp']),
    deletedAppId: ctx.nextId(),
    missingCrewId: ctx.nextId(),
    // Listed oldest first: later sessions get greater ids.
    sessions: ctx.ids([
      'publicChat',
      'teamCrew',
      'restricted',
      'whitelistTeam',
      'whitelistOrg',
      'ownerMode',
      'ownerNoApp',
      'noMode',
      'unknownMode',
      'deletedApp',
      'brokenCrew',
      'missingCrew',
      'globexSession',
      'globexPublic',
    ]),
  };
}

/** The scope of a named team. */
export function teamScope(f: NamedFixtures, team: TeamKey): TeamScope {
  return { orgId: f.orgs[TEAMS[team].org], teamId: f.teams[team] };
}

/** The name and owner of a named team, for the scaled generator. */
export function teamInfo(
  f: NamedFixtures,
  team: TeamKey,
): { name: string; ownerId: ObjectId; ownerName: string } {
  const owner = TEAMS[team].owner;
  return { name: TEAMS[team].name, ownerId: f.accounts[owner], ownerName: ACCOUNTS[owner].name };
}

function teamMembers(team: TeamKey): AccountKey[] {
  return ACCOUNT_KEYS.filter((account) => ACCOUNTS[account].teams.includes(team));
}

function orgMembers(org: OrgKey): AccountKey[] {
  return ACCOUNT_KEYS.filter((account) => ACCOUNTS[account].teams.some((team) => TEAMS[team].org === org));
}

/**
 * A permissions map as the webapp keeps it: an entry for every member (all zeros for plain members),
 * with `bit` set for the listed admins.
 */
function permissionMap(
  f: NamedFixtures,
  members: AccountKey[],
  admins: AccountKey[] | undefined,
  bit: number,
): Record<string, Binary> {
  return Object.fromEntries(
    members.map((account) => [
      f.accounts[account].toHexString(),
      admins?.includes(account) ? permissionBits(bit) : permissionBits(),
    ]),
  );
}

function addTenancy(ctx: SeedContext, f: NamedFixtures): void {
  for (const org of Object.keys(ORGS) as OrgKey[]) {
    const members = orgMembers(org);
    ctx.add('orgs', {
      _id: f.orgs[org],
      ownerId: f.accounts[ORGS[org].owner],
      teamIds: TEAM_KEYS.filter((team) => TEAMS[team].org === org).map((team) => f.teams[team]),
      members: members.map((account) => f.accounts[account]),
      name: ORGS[org].name,
      permissions: permissionMap(f, members, ORG_ADMINS[org], Permission.ORG_ADMIN),
    });
  }
  for (const team of TEAM_KEYS) {
    const members = teamMembers(team);
    ctx.add('teams', {
      _id: f.teams[team],
      ownerId: f.accounts[TEAMS[team].owner],
      orgId: f.orgs[TEAMS[team].org],
      members: members.map((account) => f.accounts[account]),
      name: TEAMS[team].name,
      permissions: permissionMap(f, members, TEAM_ADMINS[team], Permission.TEAM_ADMIN),
    });
  }
  for (const account of ACCOUNT_KEYS) {
    ctx.add('accounts', accountDoc(ctx, f, account));
  }
  addApikeys(ctx, f);
}

function accountDoc(ctx: SeedContext, f: NamedFixtures, account: AccountKey): Document {
  const { name, teams } = ACCOUNTS[account];
  const orgs = [...new Set(teams.map((team) => TEAMS[team].org))];
  return {
    _id: f.accounts[account],
    name,
    email: `${account.toLowerCase()}@${TEAMS[teams[0]].org}.example`,
    passwordHash: ctx.secret(`pwhash-${account}`),
    orgs: orgs.map((org) => ({
      id: f.orgs[org],
      name: ORGS[org].name,
      ownerId: f.accounts[ORGS[org].owner],
      teams: teams
        .filter((team) => TEAMS[team].org === org)
        .map((team) => ({ id: f.teams[team], name: TEAMS[team].name, ownerId: f.accounts[TEAMS[team].owner] })),
    })),
    currentOrg: f.orgs[orgs[0]],
    currentTeam: f.teams[teams[0]],
    permissions: ROOT_ACCOUNTS.includes(account) ? permissionBits(Permission.ROOT) : permissionBits(),
    onboarded: true,
    token: ctx.secret(`token-${account}`),
    apiJwt: ctx.secret(`apijwt-${account}`),
  };
}

function addApikeys(ctx: SeedContext, f: NamedFixtures): void {
  const ownerId = f.accounts.member;
  ctx.add('apikeys', {
    _id: f.apikeys.memberKey,
    name: 'CI key',
    ownerId,
    token: ctx.secret('apikey-memberKey'),
    expirationDate: null,
    version: 2,
  });
  ctx.add('apikeys', {
    _id: f.apikeys.memberExpiredKey,
    name: 'Expired key',
    ownerId,
    token: ctx.secret('apikey-memberExpiredKey'),
    expirationDate: new Date('2020-01-01T00:00:00.000Z'),
    version: 1,
  });
  // Keys made before versioning have no `version` field (it counts as 0).
  ctx.add('apikeys', {
    _id: f.apikeys.memberOldKey,
    name: 'Old key',
    ownerId,
    token: ctx.secret('apikey-memberOldKey'),
    expirationDate: null,
  });
}

function icon(ctx: SeedContext, linkedId: ObjectId, filename: string): Icon {
  return { id: ctx.nextId(), filename, linkedId };
}

/** Models, datasource, tools, variables, agents, tasks, crews and apps of team acmeMain. */
function addAcmeMainContent(ctx: SeedContext, f: NamedFixtures): void {
  const scope = teamScope(f, 'acmeMain');
  const { models, tools, variables: vars, agents, tasks } = f;

  ctx.add('models', modelDoc(models.gpt, scope, {
    name: 'GPT-4o', model: 'gpt-4o', modelType: 'llm', embeddingLength: 0, type: 'open_ai',
    config: { model: 'gpt-4o', api_key: ctx.secret('model-gpt-sk-demo') },
  }));
  ctx.add('models', modelDoc(models.claude, scope, {
    name: 'Claude', model: 'claude-3-5-sonnet-20240620', modelType: 'llm', embeddingLength: 0, type: 'anthropic',
    config: { model: 'claude-3-5-sonnet-20240620', api_key: ctx.secret('model-claude-sk-demo') },
  }));
  ctx.add('models', modelDoc(models.embedder, scope, {
    name: 'Embedder', model: 'text-embedding-3-small', modelType: 'embedding', embeddingLength: 1536, type: 'open_ai',
    config: { model: 'text-embedding-3-small', api_key: ctx.secret('model-embedder-sk-demo') },
  }));

  ctx.add('datasources', datasourceDoc(f.datasources.docs, scope, {
    name: 'Product docs', description: 'The Acme product documentation', originalName: 'acme_docs',
    sourceType: 'postgres', recordCount: { total: 120, success: 118, failure: 2 }, modelId: models.embedder,
    connectionSettings: {
      host: 'db.acme.example', port: 5432, database: 'docs', username: 'reader',
      password: ctx.secret('ds-docs-password'),
    },
  }));

  ctx.add('tools', toolDoc(tools.builtinSearch, null, {
    name: 'Search Wikipedia', description: 'Fetches relevant pages from Wikipedia.', type: 'builtin',
    data: {
      name: 'search_wikipedia', description: 'Fetches relevant pages from Wikipedia.', builtin: true,
      runtime: null, code: '', requirements: '', environmentVariables: {},
      parameters: queryParameters('The query to send to Wikipedia.'),
    },
  }));
  ctx.add('tools', toolDoc(tools.ragTool, scope, {
    name: 'Docs search', description: 'Searches the product docs.', type: 'rag',
    datasourceId: f.datasources.docs, retriever_type: 'raw', retriever_config: { k: 4 },
    data: {
      name: 'docs_search', description: 'Searches the product docs.', builtin: false,
      runtime: null, code: '', requirements: '', environmentVariables: {},
      parameters: queryParameters('What to look up in the docs.'),
    },
  }));
  ctx.add('tools', toolDoc(tools.codeTool, scope, {
    name: 'Publish post', description: 'Publishes a post to the Acme blog.', type: 'function',
    data: {
      name: 'publish_post', description: 'Publishes a post to the Acme blog.', builtin: false,
      runtime: 'python3.11', code: 'def publish_post(query):\n    return "ok"\n', requirements: 'requests',
      environmentVariables: { API_TOKEN: ctx.secret('env-codeTool-api-token') },
      parameters: queryParameters('The post body.'),
    },
  }));

  ctx.add('variables', variableDoc(vars.topic, scope, 'topic', 'AI agents', 'What to write about'));
  ctx.add('variables', variableDoc(vars.audience, scope, 'audience', 'developers', 'Who reads it'));
  ctx.add('variables', variableDoc(vars.tone, scope, 'tone', 'friendly', 'How it sounds'));
  ctx.add('variables', variableDoc(vars.language, scope, 'language', 'English', 'Language of the replies'));

  ctx.add('agents', agentDoc(agents.chatAgent, scope, {
    name: 'Support Bot', role: 'Support agent', goal: 'Answer questions about {language} docs',
    backstory: 'Knows the product inside out.', modelId: models.gpt, functionModelId: models.claude,
    toolIds: [tools.builtinSearch, tools.ragTool], icon: icon(ctx, agents.chatAgent, 'support.png'),
    variableIds: [vars.language],
  }));
  ctx.add('agents', agentDoc(agents.researcher, scope, {
    name: 'Researcher', role: 'Researcher', goal: 'Research {topic} for {audience}',
    backstory: 'A careful analyst.', modelId: models.gpt, functionModelId: null,
    toolIds: [tools.ragTool, tools.builtinSearch], icon: icon(ctx, agents.researcher, 'researcher.png'),
    variableIds: [vars.topic, vars.audience],
  }));
  // `topic` repeats one of the researcher's variables on purpose (repeats are kept, docs/api-reference.md).
  ctx.add('agents', agentDoc(agents.writer, scope, {
    name: 'Writer', role: 'Writer', goal: 'Write about {topic} in a {tone} tone',
    backstory: 'A seasoned technical writer.', modelId: models.claude, functionModelId: models.gpt,
    toolIds: [tools.codeTool], icon: null, variableIds: [vars.tone, vars.topic], allowDelegation: true,
  }));
  // Stored before agents had variables: no `variableIds` key at all.
  ctx.add('agents', agentDoc(agents.legacyAgent, scope, {
    name: 'Legacy', role: 'Assistant', goal: 'Help', backstory: 'An old agent.', modelId: models.gpt,
    functionModelId: null, toolIds: [], icon: null,
  }));

  ctx.add('tasks', taskDoc(tasks.research, scope, {
    name: 'Research', description: 'Research {topic}.', expectedOutput: 'A list of facts',
    toolIds: [tools.ragTool], agentId: agents.researcher, context: [], variableIds: [vars.topic],
    taskOutputVariableName: 'research_notes',
  }));
  ctx.add('tasks', taskDoc(tasks.draft, scope, {
    name: 'Draft', description: 'Draft a post for {audience} about {topic}.', expectedOutput: 'A blog post',
    toolIds: [tools.codeTool, tools.builtinSearch], agentId: agents.writer, context: [tasks.research],
    variableIds: [vars.audience, vars.topic], taskOutputFileName: 'draft.md',
  }));
  ctx.add('tasks', taskDoc(tasks.review, scope, {
    name: 'Review', description: 'Review the draft.', expectedOutput: 'Approval or changes',
    toolIds: [], agentId: null, context: [tasks.research, tasks.draft], variableIds: [],
    requiresHumanInput: true,
  }));

  ctx.add('crews', crewDoc(f.crews.contentCrew, scope, {
    name: 'Content crew', tasks: [tasks.research, tasks.draft, tasks.review],
    agents: [agents.researcher, agents.writer], process: 'hierarchical', managerModelId: models.claude,
  }));
  // Refers to a task and an agent of another team: those must never resolve.
  ctx.add('crews', crewDoc(f.crews.brokenCrew, scope, {
    name: 'Broken crew', tasks: [tasks.globexTask, tasks.research], agents: [agents.writer, agents.globexAgent],
    process: 'sequential', managerModelId: null,
  }));

  addAcmeMainApps(ctx, f, scope);
}

function addAcmeMainApps(ctx: SeedContext, f: NamedFixtures, scope: TeamScope): void {
  const { apps, accounts } = f;
  const author = ACCOUNTS.owner.name;
  ctx.add('apps', appDoc(apps.chatApp, scope, {
    createdBy: accounts.owner, name: 'Support chat', description: 'Ask the docs', tags: ['support'],
    author, icon: icon(ctx, apps.chatApp, 'chat.png'), sharingMode: 'public', kickOffVariablesIds: null,
    type: 'chat', agentId: f.agents.chatAgent,
    conversationStarters: ['How do I get started?', 'What does it cost?'], maxMessages: 30,
  }));
  ctx.add('apps', appDoc(apps.crewApp, scope, {
    createdBy: accounts.appCreator, name: 'Blog writer', description: 'Researches and writes a post',
    tags: ['content', 'blog'], author: ACCOUNTS.appCreator.name, icon: null, sharingMode: 'team',
    kickOffVariablesIds: [f.variables.topic], type: 'crew', crewId: f.crews.contentCrew,
  }));
  ctx.add('apps', appDoc(apps.brokenCrewApp, scope, {
    createdBy: accounts.owner, name: 'Broken crew app', description: 'Its crew points at another team',
    tags: [], author, icon: null, sharingMode: 'team', kickOffVariablesIds: [], type: 'crew',
    crewId: f.crews.brokenCrew,
  }));
  ctx.add('apps', appDoc(apps.missingCrewApp, scope, {
    createdBy: accounts.owner, name: 'Missing crew app', description: 'Its crew was deleted',
    tags: [], author, icon: null, sharingMode: 'team', kickOffVariablesIds: null, type: 'crew',
    crewId: f.missingCrewId,
  }));
}

/** One of everything in team globexMain (org B), for cross-tenant checks. */
function addGlobexContent(ctx: SeedContext, f: NamedFixtures): void {
  const scope = teamScope(f, 'globexMain');
  ctx.add('models', modelDoc(f.models.globexModel, scope, {
    name: 'Globex GPT', model: 'gpt-4o-mini', modelType: 'llm', embeddingLength: 0, type: 'open_ai',
    config: { model: 'gpt-4o-mini', api_key: ctx.secret('model-globexModel-sk-demo') },
  }));
  ctx.add('datasources', datasourceDoc(f.datasources.globexDocs, scope, {
    name: 'Globex docs', description: 'Globex internal wiki', originalName: 'globex_wiki', sourceType: 'confluence',
    recordCount: { total: 40, success: 40, failure: 0 }, modelId: f.models.globexModel,
    connectionSettings: { domain: 'globex.example', api_token: ctx.secret('ds-globexDocs-api-token') },
  }));
  ctx.add('tools', toolDoc(f.tools.globexTool, scope, {
    name: 'Globex lookup', description: 'Looks up Globex customers.', type: 'function',
    data: {
      name: 'globex_lookup', description: 'Looks up Globex customers.', builtin: false, runtime: 'python3.11',
      code: 'def globex_lookup(query):\n    return []\n', requirements: '',
      environmentVariables: { CRM_KEY: ctx.secret('env-globexTool-crm-key') },
      parameters: queryParameters('Customer name.'),
    },
  }));
  ctx.add('variables', variableDoc(f.variables.globexVar, scope, 'product', 'widgets', 'Globex product line'));
  ctx.add('agents', agentDoc(f.agents.globexAgent, scope, {
    name: 'Globex Agent', role: 'Sales', goal: 'Sell {product}', backstory: 'Globex veteran.',
    modelId: f.models.globexModel, functionModelId: null, toolIds: [f.tools.globexTool],
    icon: icon(ctx, f.agents.globexAgent, 'globex.png'), variableIds: [f.variables.globexVar],
  }));
  ctx.add('tasks', taskDoc(f.tasks.globexTask, scope, {
    name: 'Globex task', description: 'Find leads for {product}.', expectedOutput: 'Leads',
    toolIds: [f.tools.globexTool], agentId: f.agents.globexAgent, context: [], variableIds: [f.variables.globexVar],
  }));
  ctx.add('crews', crewDoc(f.crews.globexCrew, scope, {
    name: 'Globex crew', tasks: [f.tasks.globexTask], agents: [f.agents.globexAgent], process: 'sequential',
    managerModelId: null,
  }));
  ctx.add('apps', appDoc(f.apps.globexApp, scope, {
    createdBy: f.accounts.outsider, name: 'Globex leads', description: 'Finds leads', tags: ['sales'],
    author: ACCOUNTS.outsider.name, icon: null, sharingMode: 'team', kickOffVariablesIds: [f.variables.globexVar],
    type: 'crew', crewId: f.crews.globexCrew,
  }));
}

function addSessions(ctx: SeedContext, f: NamedFixtures): void {
  const acme = teamScope(f, 'acmeMain');
  const globex = teamScope(f, 'globexMain');
  const { sessions: s, apps } = f;
  const view = (id: ObjectId): Record<string, string> => ({ [id.toHexString()]: 'view' });
  const add = (id: ObjectId, scope: TeamScope, input: SessionInput): void =>
    ctx.add('sessions', sessionDoc(id, scope, input));

  add(s.publicChat, acme, {
    name: 'Public chat', tokensUsed: 1200, status: 'started', appId: apps.chatApp, mode: 'public',
  });
  add(s.teamCrew, acme, {
    name: 'Team crew run', tokensUsed: 5400, status: 'running', appId: apps.crewApp, mode: 'team',
    variables: { topic: 'GraphQL' }, previewLabel: 'Blog post about GraphQL',
  });
  add(s.restricted, acme, {
    name: 'Shared with Sam', tokensUsed: 800, status: 'waiting', appId: apps.crewApp, mode: 'restricted',
    permissions: view(f.accounts.sharedWith),
  });
  add(s.whitelistTeam, acme, {
    name: 'Shared with Labs', tokensUsed: 0, status: 'warning', appId: apps.crewApp, mode: 'whitelist',
    permissions: view(f.teams.acmeLabs),
  });
  add(s.whitelistOrg, acme, {
    name: 'Shared with Globex', tokensUsed: 300, status: 'error', appId: apps.crewApp, mode: 'whitelist',
    permissions: view(f.orgs.globex),
  });
  add(s.ownerMode, acme, {
    name: 'Creator only', tokensUsed: 9000, status: 'terminated', appId: apps.crewApp, mode: 'owner',
  });
  add(s.ownerNoApp, acme, {
    name: 'Owner, app gone', tokensUsed: 10, status: 'terminated', appId: f.deletedAppId, mode: 'owner',
  });
  add(s.noMode, acme, {
    name: 'No mode', tokensUsed: 20, status: 'started', appId: apps.crewApp, mode: undefined,
  });
  add(s.unknownMode, acme, {
    name: 'Unknown mode', tokensUsed: 30, status: 'running', appId: apps.chatApp, mode: 'secret-club',
  });
  add(s.deletedApp, acme, {
    name: 'App deleted', tokensUsed: 40, status: 'error', appId: f.deletedAppId, mode: 'team',
  });
  add(s.brokenCrew, acme, {
    name: 'Broken crew run', tokensUsed: 50, status: 'warning', appId: apps.brokenCrewApp, mode: 'team',
  });
  add(s.missingCrew, acme, {
    name: 'Missing crew run', tokensUsed: 60, status: 'waiting', appId: apps.missingCrewApp, mode: 'team',
  });
  add(s.globexSession, globex, {
    name: 'Globex run', tokensUsed: 700, status: 'running', appId: apps.globexApp, mode: 'team',
  });
  add(s.globexPublic, globex, {
    name: 'Globex public run', tokensUsed: 70, status: 'terminated', appId: apps.globexApp, mode: 'public',
  });
}
