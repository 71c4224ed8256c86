/**
 * Graceful shutdown with live subscriptions (issue 14): the built gateway (`node dist/src/main.js`)
 * with 1,000 open subscriptions over 10 connections gets SIGTERM; every socket is closed normally
 * (1001, going away: a close handshake, not a reset) and the process exits 0.
 */
import WebSocket from 'ws';
import { signLoginToken } from '../src/auth/tokens';
import { generateDemoData } from '../src/seed/generate';
import { TEST_JWT_SECRET } from './support/gateway';
import { wsUrl } from './support/live-client';
import { mainEnv, seededDatabaseForMain, startMain } from './support/resilience';
import { sleep, withTimeout } from './support/wait';

const data = generateDemoData();
const database = seededDatabaseForMain(data);

it('SIGTERM with 1,000 open subscriptions: every socket closed normally (1001), exit 0', async () => {
  const main = startMain(mainEnv({ MONGODB_URI: database.uri(), JWT_SECRET: TEST_JWT_SECRET, LIVE_POLL_INTERVAL_MS: '200' }));
  const url = await main.listening();
  const token = signLoginToken(data.fixtures.accounts.member, TEST_JWT_SECRET);
  const query = `subscription { sessionUpdated(_id: "${data.fixtures.sessions.teamCrew.toHexString()}") { name status } }`;
  const sockets = await Promise.all(Array.from({ length: 10 }, async () => {
    const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws');
    const closed = new Promise<{ code: number; clean: boolean; errored: boolean }>((resolve) => {
      let errored = false;
      socket.on('error', () => (errored = true));
      // ws reports a close without the peer's close frame as 1006
      socket.once('close', (code) => resolve({ code, clean: code !== 1006, errored }));
    });
    const events = { count: 0 };
    socket.on('message', (raw) => {
      if (JSON.parse(String(raw)).type === 'next') events.count += 1;
    });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } }));
    await new Promise((resolve) => socket.once('message', resolve)); // connection_ack
    for (let i = 0; i < 100; i++) socket.send(JSON.stringify({ id: `s${i}`, type: 'subscribe', payload: { query } }));
    return { socket, closed, events };
  }));
  // every subscription has its first event
  for (let i = 0; i < 200 && sockets.some((s) => s.events.count < 100); i++) await sleep(50);
  expect(sockets.map((s) => s.events.count)).toEqual(Array(10).fill(100));

  main.child.kill('SIGTERM');
  const closes = await withTimeout(Promise.all(sockets.map((s) => s.closed)), 15_000, 'sockets closed');
  expect(closes).toEqual(Array(10).fill({ code: 1001, clean: true, errored: false }));
  const { code } = await withTimeout(main.exited, 15_000, 'exit after SIGTERM');
  expect(code).toBe(0);
  expect(main.logs()).toContainEqual(expect.objectContaining({ msg: 'shut down', exitCode: 0 }));
}, 60_000);

it('SIGTERM with a client that never answers the close (asleep, or gone without a word): dropped after a grace, exit 0 within the bound', async () => {
  const main = startMain(mainEnv({ MONGODB_URI: database.uri(), JWT_SECRET: TEST_JWT_SECRET, LIVE_POLL_INTERVAL_MS: '200', SHUTDOWN_READY_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '8000' }));
  const url = await main.listening();
  const token = signLoginToken(data.fixtures.accounts.member, TEST_JWT_SECRET);
  const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } }));
  await new Promise((resolve) => socket.once('message', resolve)); // connection_ack
  socket.send(JSON.stringify({ id: 's', type: 'subscribe', payload: { query: `subscription { sessionUpdated(_id: "${data.fixtures.sessions.teamCrew.toHexString()}") { name } }` } }));
  await new Promise((resolve) => socket.once('message', resolve)); // its first event
  // from now on it reads nothing, so it never sees the close frame nor answers it
  (socket as unknown as { _socket: { pause(): void } })._socket.pause();
  const started = Date.now();
  main.child.kill('SIGTERM');
  const { code } = await withTimeout(main.exited, 15_000, 'exit after SIGTERM');
  expect(code).toBe(0);
  expect(Date.now() - started).toBeLessThan(8_000);
  expect(main.logs()).toContainEqual(expect.objectContaining({ msg: 'shut down', exitCode: 0 }));
  socket.terminate();
}, 60_000);
