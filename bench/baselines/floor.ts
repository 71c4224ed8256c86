/**
 * The floor. A minimal hand-written Express + driver handler that runs the same batched
 * reads the gateway's loaders run for one session (account, session, app, crew, tasks and agents,
 * tools and variables, datasources, models: one `find` each) and writes the same JSON, with no GraphQL,
 * no DataLoader and no access policy. What the gateway costs above this is the price of its design.
 */
import { Router, type Request, type Response } from 'express';
import { ObjectId, type Db, type Document } from 'mongodb';
import { removeSecrets } from '../../src/db/secrets';

export function floorRouter(db: Db): Router {
  const router = Router();
  const byIds = async (name: string, teamId: ObjectId, ids: unknown[]): Promise<Document[]> => {
    const wanted = ids.filter((id): id is ObjectId => id instanceof ObjectId);
    if (wanted.length === 0) return [];
    // the loaders' filters: the team's documents, and for tools the global built-ins too
    const owned = name === 'tools' ? { $or: [{ teamId: { $in: [teamId] } }, { teamId: null, 'data.builtin': true }] } : { teamId: { $in: [teamId] } };
    const docs = await db.collection(name).find({ _id: { $in: wanted }, ...owned }).toArray();
    const byId = new Map(docs.map((doc) => [String(doc._id), doc]));
    const seen = new Set<string>();
    return wanted.flatMap((id) => {
      const key = String(id);
      const doc = byId.get(key);
      if (!doc || seen.has(key)) return [];
      seen.add(key);
      return [doc];
    });
  };

  router.get('/floor/:team/session/:id.json', async (req: Request, res: Response) => {
    try {
      const teamId = new ObjectId(String(req.params.team));
      await db.collection('accounts').findOne({ _id: new ObjectId(String(res.locals.accountId)) });
      const session = await db.collection('sessions').findOne({ _id: new ObjectId(String(req.params.id)), teamId });
      const [app] = session ? await byIds('apps', teamId, [session.appId]) : [];
      const [crew] = app?.type === 'crew' ? await byIds('crews', teamId, [app.crewId]) : [];
      const [tasks, agents] = crew
        ? await Promise.all([byIds('tasks', teamId, crew.tasks ?? []), byIds('agents', teamId, crew.agents ?? [])])
        : [[], app?.chatAppConfig ? await byIds('agents', teamId, [app.chatAppConfig.agentId]) : []];
      const [tools, variables] = await Promise.all([
        byIds('tools', teamId, [...agents, ...tasks].flatMap((doc) => doc.toolIds ?? [])),
        byIds('variables', teamId, [...(app?.kickOffVariablesIds ?? []), ...[...tasks, ...agents].flatMap((doc) => doc.variableIds ?? [])]),
      ]);
      const datasources = await byIds('datasources', teamId, tools.map((tool) => tool.datasourceId));
      const models = await byIds('models', teamId, [...agents.flatMap((a) => [a.modelId, a.functionModelId]), crew?.managerModelId, ...datasources.map((d) => d.modelId)]);
      const variableById = new Map(variables.map((v) => [String(v._id), v]));
      const taskVariableIds = [...new Set(tasks.flatMap((t) => (t.variableIds ?? []).map(String)))];
      const appVariables = [...taskVariableIds, ...agents.flatMap((a) => (a.variableIds ?? []).map(String))]
        .map((id) => variableById.get(id)).filter((v): v is Document => Boolean(v))
        .map((v) => ({ name: v.name, defaultValue: v.defaultValue, id: v._id }));
      const avatarMap: Record<string, string> = {};
      for (const agent of agents) if (agent.icon?.filename) avatarMap[String(agent.name).toLowerCase()] = agent.icon.filename;
      res.type('application/json; charset=utf-8').end(JSON.stringify({
        csrf: 'floor',
        session,
        app: app && { ...app, ...(crew ? { crew } : {}), ...(appVariables.length ? { variables: appVariables } : {}) },
        avatarMap,
        tasks,
        tools: tools.map((t) => removeSecrets('tools', t)),
        agents,
        models: models.map((m) => removeSecrets('models', m)),
        datasources: datasources.map((d) => removeSecrets('datasources', d)),
      }));
    } catch {
      res.status(500).json({ message: 'floor failed', code: 500 });
    }
  });
  // The messages of a session, oldest first, serialized batch by batch as the driver hands them on: the
  // least a server can do for the legacy messages.json (the gateway reads and writes it the same way).
  router.get('/floor/:team/session/:id/messages.json', async (req: Request, res: Response) => {
    try {
      const teamId = new ObjectId(String(req.params.team));
      await db.collection('accounts').findOne({ _id: new ObjectId(String(res.locals.accountId)) });
      const session = await db.collection('sessions').findOne({ _id: new ObjectId(String(req.params.id)), teamId });
      const chunks: string[] = [];
      if (session) {
        const cursor = db.collection('chat').find({ teamId, sessionId: session._id }, { sort: { _id: 1 }, batchSize: 1000 });
        while (await cursor.hasNext()) {
          const docs = cursor.readBufferedDocuments();
          if (docs.length > 0) chunks.push((chunks.length > 0 ? ',' : '') + JSON.stringify(docs).slice(1, -1));
        }
      }
      res.type('application/json; charset=utf-8').end(`[${chunks.join('')}]`);
    } catch {
      res.status(500).json({ message: 'floor failed', code: 500 });
    }
  });
  return router;
}
