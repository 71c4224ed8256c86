/**
 * The peer's server process (bench/baselines/peer.ts): Fastify + Mercurius on its own port and driver
 * connection, with the same `/__bench/stats` as bench/server.ts so that the runner charges the peer its
 * own CPU. Started by bench/run.ts; not part of the gateway.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import mercurius from 'mercurius';
import { MongoClient, ObjectId } from 'mongodb';
import { PEER_RESOLVERS, PEER_SCHEMA, peerContext } from './baselines/peer';

async function main(): Promise<void> {
  const client = await new MongoClient(process.env.MONGODB_URI!, { monitorCommands: true }).connect();
  const db = client.db();
  let dbCommands = 0;
  client.on('commandStarted', () => (dbCommands += 1));
  const verify = hs256Verifier(process.env.JWT_SECRET!);
  const app = Fastify({ logger: false });
  app.get<{ Querystring: { gc?: string } }>('/__bench/stats', async (request) => {
    if (request.query.gc === '1') (globalThis as { gc?: () => void }).gc?.();
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
      const { accountId } = verify(String(request.headers.authorization ?? '').replace(/^Bearer /, ''));
      await db.collection('accounts').findOne({ _id: new ObjectId(String(accountId)) });
      return peerContext(db);
    },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`BENCH_SERVER_URL=${url}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
}

/**
 * An HS256 JWT verifier made once: the signature (HMAC-SHA256, compared in constant time), the
 * algorithm and the expiry, with nothing parsed twice. What the fastest server would do by hand.
 */
function hs256Verifier(secret: string): (token: string) => { accountId?: unknown } {
  const key = Buffer.from(secret, 'utf8');
  return (token) => {
    const [header, payload, signature = ''] = token.split('.');
    const expected = Buffer.from(createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url'));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new Error('invalid token');
    if ((JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string }).alg !== 'HS256') throw new Error('invalid token');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp?: number; accountId?: unknown };
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) throw new Error('expired token');
    return claims;
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
