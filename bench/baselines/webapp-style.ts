/**
 * Target 4: the session `.json` handler the way the Agentcloud webapp's own handler reads the data,
 * written from its description: about six reads in the auth middleware (account, its orgs and teams,
 * the team, the org, the account's permissions), then the session, the app, the crew, and one query
 * per task, per agent and per variable; tools, models and datasources by id lists. Same JSON body.
 * Not a faithful copy of the webapp: a yardstick for "one query per document".
 */
import { Router, type Request, type Response } from 'express';
import { ObjectId, type Db, type Document } from 'mongodb';
import { removeSecrets } from '../../src/db/secrets';

export function webappStyleRouter(db: Db): Router {
  const router = Router();
  router.get('/baseline/:team/session/:id.json', async (req: Request, res: Response) => {
    try {
      const teamId = new ObjectId(String(req.params.team));
      const col = (name: string) => db.collection<Document>(name);
      // auth middleware: ~6 reads
      const accountId = new ObjectId(String(res.locals.accountId));
      const account = await col('accounts').findOne({ _id: accountId });
      const team = await col('teams').findOne({ _id: teamId });
      await col('orgs').findOne({ _id: team?.orgId });
      await col('teams').findOne({ _id: account?.currentTeam ?? teamId });
      await col('orgs').findOne({ _id: account?.currentOrg ?? team?.orgId });
      await col('accounts').findOne({ _id: accountId }, { projection: { permissions: 1 } });

      const session = await col('sessions').findOne({ _id: new ObjectId(String(req.params.id)), teamId });
      const app = session ? await col('apps').findOne({ _id: session.appId, teamId }) : null;
      const crew = app?.crewId ? await col('crews').findOne({ _id: app.crewId, teamId }) : null;
      const tasks: Document[] = [];
      for (const id of crew?.tasks ?? []) {
        const task = await col('tasks').findOne({ _id: id, teamId });
        if (task) tasks.push(task);
      }
      const agents: Document[] = [];
      for (const id of crew?.agents ?? (app?.chatAppConfig?.agentId ? [app.chatAppConfig.agentId] : [])) {
        const agent = await col('agents').findOne({ _id: id, teamId });
        if (agent) agents.push(agent);
      }
      const variables: Document[] = [];
      for (const id of [...tasks, ...agents].flatMap((doc) => doc.variableIds ?? [])) {
        const variable = await col('variables').findOne({ _id: id, teamId });
        if (variable) variables.push(variable);
      }
      const toolIds = [...agents, ...tasks].flatMap((doc) => doc.toolIds ?? []);
      const tools = (await col('tools').find({ _id: { $in: toolIds } }).toArray()).map((t) => removeSecrets('tools', t));
      const datasources = (await col('datasources').find({ _id: { $in: tools.map((t) => t.datasourceId).filter(Boolean) } }).toArray())
        .map((d) => removeSecrets('datasources', d));
      const modelIds = [...agents.flatMap((a) => [a.modelId, a.functionModelId]), crew?.managerModelId, ...datasources.map((d) => d.modelId)].filter(Boolean);
      const models = (await col('models').find({ _id: { $in: modelIds } }).toArray()).map((m) => removeSecrets('models', m));

      const avatarMap: Record<string, string> = {};
      for (const agent of agents) if (agent.icon?.filename) avatarMap[String(agent.name).toLowerCase()] = agent.icon.filename;
      const appBody = app && {
        ...app,
        ...(crew ? { crew } : {}),
        variables: variables.map((v) => ({ name: v.name, defaultValue: v.defaultValue, id: v._id })),
      };
      res.type('application/json; charset=utf-8').end(JSON.stringify({
        csrf: 'baseline', session, app: appBody, avatarMap, tasks, tools, agents, models, datasources,
      }));
    } catch {
      res.status(500).json({ message: 'baseline failed', code: 500 });
    }
  });
  return router;
}
