/**
 * The peer's server process (bench/baselines/peer.ts): Fastify + Mercurius on its own port and driver
 * connection, with the same `/__bench/stats` as bench/server.ts so that the runner charges the peer its
 * own CPU. Started by bench/run.ts; not part of the gateway.
 */
import { createSecretKey } from 'node:crypto';
import Fastify from 'fastify';
import jwt from 'jsonwebtoken';
import mercurius from 'mercurius';
import { MongoClient, ObjectId } from 'mongodb';
import { PEER_RESOLVERS, PEER_SCHEMA, peerContext } from './baselines/peer';

async function main(): Promise<void> {
  const client = await new MongoClient(process.env.MONGODB_URI!, { monitorCommands: true }).connect();
  const db = client.db();
  let dbCommands = 0;
  client.on('commandStarted', () => (dbCommands += 1));
  const key = createSecretKey(Buffer.from(process.env.JWT_SECRET!, 'utf8'));
  const app = Fastify({ logger: false });
  app.get('/__bench/stats', async () => {
    (globalThis as { gc?: () => void }).gc?.();
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    return { cpuMicros: cpu.user + cpu.system, rss: memory.rss, heapUsed: memory.heapUsed, maxRss: process.resourceUsage().maxRSS * 1024, dbCommands };
  });
  await app.register(mercurius, {
    schema: PEER_SCHEMA,
    resolvers: PEER_RESOLVERS as never,
    jit: 1,
    path: '/graphql',
    context: async (request) => {
      // the bearer token checked and the caller's account read, as every other target does
      const token = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      const { accountId } = jwt.verify(token, key, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      await db.collection('accounts').findOne({ _id: new ObjectId(String(accountId)) });
      return peerContext(db);
    },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`BENCH_SERVER_URL=${url}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
