/**
 * OpenTelemetry traces from the built gateway (its own process: the exporters load their HTTP transport
 * with a dynamic import) against a receiver that decodes what the real OTLP/HTTP exporters send, over
 * both protocols (protobuf with the exporter's own generated decoder, and JSON): one request with a
 * given `traceparent` gives one span tree, continued from it, with the request, its operation and each
 * batched read, attributes naming what ran, and no secret, token or stored value in any span.
 */
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { signLoginToken } from '../src/auth/tokens';
import { startTracing, tracingRequested } from '../src/observability/tracing';
import { generateDemoData } from '../src/seed/generate';
import { mainEnv, seededDatabaseForMain, startMain } from './support/resilience';
import { closeServer } from './support/servers';
import { parse, type OperationDefinitionNode } from 'graphql';
import { buildGatewaySchema } from '../src/assembly/gateway-schema';
import { operationCost } from '../src/server/limits/cost';
import { sleep, waitFor } from './support/wait';

const DETAIL_QUERY = 'query Detail($id: ObjectId!) { session(_id: $id) { name app { name crew { name } } agents { name model { name } tools { name } } } }';
/** The static cost the limits give a document (src/server/limits/cost.ts), which its span must carry. */
function costOf(query: string): number {
  const document = parse(query);
  return operationCost({ schema: buildGatewaySchema(), document, operation: document.definitions[0] as OperationDefinitionNode, variables: { id: '0'.repeat(24) } });
}

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
  status: number;
}

/** The generated protobuf root of the OTLP exporter the gateway uses (its own dependency). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protoRoot = require(require.resolve('@opentelemetry/otlp-transformer/build/src/generated/root.js', {
  paths: [path.dirname(require.resolve('@opentelemetry/exporter-trace-otlp-proto/package.json'))],
}));
const ExportTraceServiceRequest = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const hex = (value: unknown) => (typeof value === 'string' ? value : Buffer.from(value as Uint8Array).toString('hex'));
const valueOf = (value: Record<string, unknown>): unknown => {
  const anyValue = value as { stringValue?: string; intValue?: unknown; boolValue?: boolean; doubleValue?: number; arrayValue?: { values?: Array<Record<string, unknown>> } };
  if (anyValue.stringValue !== undefined && anyValue.stringValue !== null) return anyValue.stringValue;
  if (anyValue.intValue !== undefined && anyValue.intValue !== null) return Number(anyValue.intValue);
  if (anyValue.boolValue !== undefined && anyValue.boolValue !== null) return anyValue.boolValue;
  if (anyValue.doubleValue !== undefined && anyValue.doubleValue !== null) return anyValue.doubleValue;
  if (anyValue.arrayValue) return (anyValue.arrayValue.values ?? []).map(valueOf);
  return undefined;
};

/** An OTLP/HTTP receiver on loopback: every span of every export, decoded by content type. */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; contentTypes: Set<string>; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = String(req.headers['content-type']);
      contentTypes.add(type);
      const request = type.includes('json') ? JSON.parse(body.toString()) : ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), { longs: Number, bytes: Buffer });
      for (const resourceSpans of request.resourceSpans ?? []) {
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            spans.push({
              traceId: hex(span.traceId),
              spanId: hex(span.spanId),
              parentSpanId: span.parentSpanId && hex(span.parentSpanId).length > 0 ? hex(span.parentSpanId) : '',
              name: span.name,
              attributes: Object.fromEntries((span.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, valueOf(a.value)])),
              status: span.status?.code ?? 0,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': type.includes('json') ? 'application/json' : 'application/x-protobuf' }).end(type.includes('json') ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, spans, contentTypes, server };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

const SECRET = 'tracing-test-secret-long-enough-for-hs256';
const data = generateDemoData();
const database = seededDatabaseForMain(data);

/** One traced request to the built gateway (its own process, as in production), and what it exported. */
async function tracedRequest(protocol: 'http/protobuf' | 'http/json') {
  const receiver = await startReceiver();
  const main = startMain(mainEnv({ MONGODB_URI: database.uri(), JWT_SECRET: SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_SERVICE_NAME: 'gateway-under-test', OTEL_BSP_SCHEDULE_DELAY: '50' }));
  try {
    const url = await main.listening();
    const token = signLoginToken(data.fixtures.accounts.owner, SECRET);
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
      body: JSON.stringify({ query: DETAIL_QUERY, variables: { id: data.fixtures.sessions.teamCrew.toHexString() }, operationName: 'Detail' }),
    });
    expect(response.status).toBe(200);
    const traced = () => receiver.spans.filter((span) => span.traceId === TRACE_ID);
    await waitFor(() => traced().some((span) => span.parentSpanId === PARENT_ID) && traced().some((span) => span.name === 'graphql.query'), 10_000, 'the request\'s spans exported');
    await sleep(200); // the reads' spans, ended before the request's, are in the same or an earlier export
    return { spans: traced(), receiver, token, secrets: data.fixtures.secrets };
  } finally {
    main.child.kill('SIGTERM');
    await main.exited;
    await closeServer(receiver.server);
  }
}

it('exports one span tree per request over OTLP/HTTP protobuf, continued from its traceparent, with nothing secret in it', async () => {
  const { spans, receiver, token, secrets } = await tracedRequest('http/protobuf');
  expect([...receiver.contentTypes]).toEqual(['application/x-protobuf']);
  const request = spans.find((span) => span.parentSpanId === PARENT_ID)!;
  expect(request).toMatchObject({ name: 'POST /graphql', attributes: { 'http.request.method': 'POST', 'http.route': '/graphql', 'http.response.status_code': 200 } });
  const below = spans.filter((span) => span.parentSpanId === request.spanId);
  expect(below.find((span) => span.name === 'graphql.query')).toMatchObject({ attributes: { 'graphql.operation.type': 'query', 'graphql.operation.name': 'Detail', 'graphql.operation.cost': costOf(DETAIL_QUERY) } });
  const reads = below.filter((span) => span.name.startsWith('db.find '));
  // the caller's account, the session, then one batched read per collection the selection reaches
  expect(reads.map((span) => span.attributes['db.collection.name']).sort()).toEqual(['accounts', 'agents', 'apps', 'crews', 'models', 'sessions', 'tools']);
  for (const read of reads) {
    expect(read.attributes).toMatchObject({ 'db.system.name': 'mongodb', 'db.operation.name': 'find', 'db.response.returned_rows': expect.any(Number) });
  }
  expect(reads.find((span) => span.attributes['db.collection.name'] === 'agents')!.attributes['db.query.ids']).toBeGreaterThan(1);
  // no stored value, token or secret anywhere in a span
  const exported = JSON.stringify(spans);
  for (const forbidden of [token, 'Team crew run', 'Content crew', ...secrets]) expect(exported).not.toContain(forbidden);
  expect(exported).not.toMatch(/Bearer|authorization|\$in/i);
}, 60_000);

it('exports over OTLP/HTTP JSON when OTEL_EXPORTER_OTLP_PROTOCOL=http/json', async () => {
  const { spans, receiver } = await tracedRequest('http/json');
  expect([...receiver.contentTypes]).toEqual(['application/json']);
  const request = spans.find((span) => span.parentSpanId === PARENT_ID)!;
  expect(request.name).toBe('POST /graphql');
  expect(spans.filter((span) => span.parentSpanId === request.spanId).map((span) => span.name)).toEqual(expect.arrayContaining(['graphql.query', 'db.find sessions']));
}, 60_000);

it('loads nothing and traces nothing when no OTLP endpoint is set', () => {
  expect(tracingRequested({})).toBe(false);
  expect(startTracing({})).toBeUndefined();
  expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
  expect(() => startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/http\/protobuf or http\/json/);
});

it('traces each subscribe over WebSocket as a graphql.subscription, continued from the upgrade’s traceparent, with its reads below it', async () => {
  const receiver = await startReceiver();
  const main = startMain(mainEnv({ MONGODB_URI: database.uri(), JWT_SECRET: SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' }));
  try {
    const url = await main.listening();
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
    const messages: Array<{ id?: string; type: string; payload?: any }> = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${signLoginToken(data.fixtures.accounts.owner, SECRET)}` } }));
    await waitFor(() => messages.some((message) => message.type === 'connection_ack'), 10_000, 'the ack');
    const id = data.fixtures.sessions.teamCrew.toHexString();
    socket.send(JSON.stringify({ id: 'ok', type: 'subscribe', payload: { query: `subscription Watch { sessionUpdated(_id: "${id}") { name app { name } } }` } }));
    socket.send(JSON.stringify({ id: 'bad', type: 'subscribe', payload: { query: 'subscription Broken { noSuchField }' } }));
    await waitFor(() => messages.some((message) => message.id === 'ok' && message.type === 'next') && messages.some((message) => message.id === 'bad' && message.type === 'error'), 10_000, 'both answers');
    socket.close();

    const traced = () => receiver.spans.filter((span) => span.traceId === TRACE_ID);
    await waitFor(() => traced().filter((span) => span.name === 'graphql.subscription').length === 2, 10_000, 'both subscribes’ spans');
    await sleep(200);
    const watch = traced().find((span) => span.name === 'graphql.subscription' && span.attributes['graphql.operation.name'] === 'Watch');
    expect(watch).toMatchObject({ parentSpanId: PARENT_ID, status: 0, attributes: { 'graphql.operation.type': 'subscription', 'graphql.operation.cost': expect.any(Number) } });
    const reads = traced().filter((span) => span.parentSpanId === watch!.spanId && span.name.startsWith('db.find '));
    expect(reads.map((span) => span.attributes['db.collection.name'])).toEqual(expect.arrayContaining(['accounts', 'sessions']));
    // refused before it ran (a document that does not validate): failed, with the code the client was sent
    expect(traced().find((span) => span.name === 'graphql.subscription' && span.spanId !== watch!.spanId)).toMatchObject({
      parentSpanId: PARENT_ID, status: 2, attributes: { 'graphql.error.codes': ['BAD_USER_INPUT'] },
    });
    expect(JSON.stringify(traced())).not.toMatch(/Bearer|Team crew run/);
  } finally {
    main.child.kill('SIGTERM');
    await main.exited;
    await closeServer(receiver.server);
  }
}, 60_000);

it('a query refused for its cost has its cost on its span, failed with QUERY_TOO_COMPLEX', async () => {
  const receiver = await startReceiver();
  const main = startMain(mainEnv({ MONGODB_URI: database.uri(), JWT_SECRET: SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', GRAPHQL_MAX_COST: '5' }));
  try {
    const url = await main.listening();
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
      body: JSON.stringify({ query: 'query Costly($id: ObjectId!) { session(_id: $id) { name agents { name tools { name } } } }', variables: { id: data.fixtures.sessions.teamCrew.toHexString() } }),
    });
    expect(response.status).toBe(400);
    const operation = () => receiver.spans.find((span) => span.traceId === TRACE_ID && span.name === 'graphql.query');
    await waitFor(() => operation() !== undefined, 10_000, 'the operation span');
    expect(operation()).toMatchObject({ status: 2, attributes: { 'graphql.operation.name': 'Costly', 'graphql.operation.cost': expect.any(Number), 'graphql.error.codes': ['QUERY_TOO_COMPLEX'] } });
    expect(operation()!.attributes['graphql.operation.cost']).toBeGreaterThan(5);
  } finally {
    main.child.kill('SIGTERM');
    await main.exited;
    await closeServer(receiver.server);
  }
}, 60_000);
