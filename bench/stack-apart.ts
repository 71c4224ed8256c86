/**
 * `npm run bench:stack`: the HTTP stack measured apart from the gateway and its data. A minimal
 * Apollo Server 5 (`{ hello }`) served on Express through `@as-integrations/express5` and
 * `express.json`, on Express through the gateway's body reader and Apollo handler, and on Fastify
 * through `@as-integrations/fastify`, beside Mercurius; each server its own process, Express's
 * requests made with the app's prototypes as the gateway makes them. Interleaved rounds of POSTs (10
 * connections), server CPU ms per request from /proc: median (min–max across rounds).
 * BENCH_RUNS (7) rounds of BENCH_DURATION (5) seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { apolloHandler } from '../src/server/apollo-handler';
import { jsonBody } from '../src/server/json-body';
import { serverClasses } from '../src/server/server-classes';
import { median, processCpuMicros } from './process-stats';

const SERVERS = ['express5-integration', 'gateway-handler', 'fastify-integration', 'mercurius'] as const;
type ServerKind = (typeof SERVERS)[number];

const TYPE_DEFS = 'type Query { hello: String }';
const RESOLVERS = { Query: { hello: () => 'world' } };

/** Serves one kind on a free port and prints it. */
async function serve(kind: ServerKind): Promise<void> {
  const port = await listenOne(kind);
  process.stdout.write(`PORT=${port}\n`);
}

async function listenOne(kind: ServerKind): Promise<number> {
  if (kind === 'mercurius') {
    const { default: Fastify } = await import('fastify');
    const { default: mercurius } = await import('mercurius');
    const app = Fastify();
    await app.register(mercurius, { schema: TYPE_DEFS, resolvers: RESOLVERS, jit: 1 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as AddressInfo).port;
  }
  const { ApolloServer } = await import('@apollo/server');
  const apollo = new ApolloServer({ typeDefs: TYPE_DEFS, resolvers: RESOLVERS });
  await apollo.start();
  if (kind === 'fastify-integration') {
    const { default: Fastify } = await import('fastify');
    const { fastifyApolloHandler } = await import('@as-integrations/fastify');
    const app = Fastify();
    app.post('/graphql', fastifyApolloHandler(apollo));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as AddressInfo).port;
  }
  const { default: express } = await import('express');
  const app = express();
  app.set('etag', 'weak'); // as the gateway's app
  if (kind === 'express5-integration') {
    const { expressMiddleware } = await import('@as-integrations/express5');
    app.use('/graphql', express.json({ limit: 102_400 }), expressMiddleware(apollo));
  } else {
    app.use('/graphql', jsonBody(102_400), apolloHandler(apollo as never, { context: async () => ({}) as never, maxResponseBytes: 10_000_000 }));
  }
  const server = http.createServer(serverClasses(app), app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function start(kind: ServerKind): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [__filename, kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      const match = /PORT=(\d+)/.exec(String(chunk));
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return { child, port };
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const duration = Number(process.env.BENCH_DURATION ?? 5);
  const servers = new Map<ServerKind, { child: ChildProcess; port: number }>();
  for (const kind of SERVERS) servers.set(kind, await start(kind));
  const perRequest = new Map<ServerKind, number[]>(SERVERS.map((kind) => [kind, []]));
  try {
    const load = (port: number, seconds: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}/graphql`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ hello }' }),
        connections: 10,
        duration: seconds,
      });
    for (const { port } of servers.values()) await load(port, 3); // warm-up
    for (let round = 0; round < runs; round++) {
      // alternate the order, so that no server always follows the same one
      for (const kind of round % 2 === 0 ? SERVERS : [...SERVERS].reverse()) {
        const { child, port } = servers.get(kind)!;
        const before = processCpuMicros(child.pid)!;
        const result = await load(port, duration);
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${kind}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        perRequest.get(kind)!.push((processCpuMicros(child.pid)! - before) / 1000 / result.requests.total);
      }
    }
  } finally {
    for (const { child } of servers.values()) child.kill();
  }
  console.log(`server CPU ms per request, ${runs} interleaved rounds of ${duration} s: median (min–max)`);
  for (const kind of SERVERS) {
    const values = perRequest.get(kind)!;
    console.log(`${kind.padEnd(22)} ${median(values).toFixed(3)} (${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)})`);
  }
}

const role = process.argv[2] as ServerKind | undefined;
if (role) void serve(role);
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
