/**
 * The `npm start` path (CONTRACT §6): the built `dist/src/main.js` without MONGODB_URI starts an
 * embedded database with demo data, prints a URL, a demo token and ready-to-paste requests that
 * work, answers the probes, and exits 0 on SIGTERM leaving nothing running. With MONGODB_URI set and
 * no JWT_SECRET it refuses to start.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { ensureBuilt, killChildren, MAIN, mainEnv, portIsOpen, startMain, type StartedMain } from './support/resilience';
import { withTimeout } from './support/wait';

const run = promisify(execFile);

beforeAll(async () => {
  await ensureBuilt();
  expect(existsSync(MAIN)).toBe(true);
}, 60_000);

afterAll(() => killChildren()); // the whole group of each: the gateway and its embedded database

/**
 * The environment `npm start` gets: this process's without the settings that would change what starts
 * (NODE_ENV too: Jest sets it to "test", which changes Apollo's behaviour), and with the readiness
 * delay of shutdowns left to its default.
 */
function baseEnv(): NodeJS.ProcessEnv {
  const env = mainEnv();
  delete env.SHUTDOWN_READY_DELAY_MS;
  return env;
}

/** The banner's last line: the REST example's Authorization header. */
const BANNER_COMPLETE = /\/session\/[0-9a-f]{24}\.json \\\n\s+-H 'Authorization: Bearer [^']+'/;

describe('npm start without MONGODB_URI (embedded demo)', () => {
  let started: StartedMain;
  let startupMs: number;
  let banner: {
    url: string;
    databaseUri: string;
    token: string;
    graphqlCurl: string;
    graphqlUrl: string;
    graphqlHeaders: Record<string, string>;
    graphqlBody: string;
    restCurl: string;
    restUrl: string;
  };

  beforeAll(async () => {
    const t0 = Date.now();
    started = startMain(baseEnv());
    // the banner, then the "listening" log line, its last word (written after the banner: both awaited)
    await started.printed((out) => BANNER_COMPLETE.test(out) && out.includes('"msg":"session gateway listening"'), 15_000, 'the banner');
    startupMs = Date.now() - t0;
    const out = started.stdout();
    const field = (label: string) => new RegExp(`^\\s*${label}:\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '';
    // The example requests: each starts at a "curl" line and goes on while lines end with "\".
    const lines = out.split('\n');
    const curls: string[] = [];
    lines.forEach((line, i) => {
      if (!/^\s*curl /.test(line)) return;
      const parts = [line];
      for (let j = i; lines[j].trimEnd().endsWith('\\') && j + 1 < lines.length; j++) parts.push(lines[j + 1]);
      curls.push(parts.join('\n'));
    });
    const graphqlCurl = curls.find((c) => c.includes('/graphql')) ?? '';
    const restCurl = curls.find((c) => c.includes('.json')) ?? '';
    const headers: Record<string, string> = {};
    for (const [, name, value] of graphqlCurl.matchAll(/-H '([^:']+):\s*([^']*)'/g)) headers[name.toLowerCase()] = value;
    banner = {
      url: field('GraphQL').replace(/\/graphql$/, ''),
      databaseUri: field('Database'),
      token: field('Token'),
      graphqlCurl,
      graphqlUrl: /curl -s (\S+)/.exec(graphqlCurl)?.[1] ?? '',
      graphqlHeaders: headers,
      graphqlBody: /-d '([^']*)'/.exec(graphqlCurl)?.[1] ?? '',
      restCurl,
      restUrl: /curl -s (\S+)/.exec(restCurl)?.[1] ?? '',
    };
  }, 20_000);

  it('prints the URL, the database, a demo token and two example requests within 15 s', () => {
    expect(startupMs).toBeLessThan(15_000);
    expect(banner.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(banner.databaseUri).toMatch(/^mongodb:\/\//);
    expect(banner.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/); // a JWT
    expect(banner.graphqlUrl).toBe(`${banner.url}/graphql`);
    expect(banner.graphqlHeaders).toEqual({ 'content-type': 'application/json', authorization: `Bearer ${banner.token}` });
    expect(() => JSON.parse(banner.graphqlBody)).not.toThrow();
    expect(banner.restUrl).toMatch(new RegExp(`^${banner.url.replace(/\./g, '\\.')}/[0-9a-f]{24}/session/[0-9a-f]{24}\\.json$`));
    expect(banner.restCurl).toContain(`Authorization: Bearer ${banner.token}`);
    // both examples are about the same session
    const sessionId = /\/session\/([0-9a-f]{24})\.json/.exec(banner.restUrl)![1];
    expect(banner.graphqlBody).toContain(sessionId);
  });

  it('logs a structured "listening" line at LOG_LEVEL=info', () => {
    const logs = started.stdout().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'session gateway listening', url: banner.url, embedded: true }));
  });

  it('answers the printed GraphQL example with data and no errors', async () => {
    const response = await fetch(banner.graphqlUrl, { method: 'POST', headers: banner.graphqlHeaders, body: banner.graphqlBody });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { session: Record<string, unknown> | null }; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    expect(body.data?.session).toMatchObject({ name: expect.any(String), app: { name: expect.any(String) } });
  });

  const hasCurl = ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].some((file) => existsSync(file));
  (hasCurl ? it : it.skip)('answers the printed curl command pasted into a shell', async () => {
    const { stdout } = await run('bash', ['-c', banner.graphqlCurl], { timeout: 10_000 });
    const body = JSON.parse(stdout) as { data?: { session: unknown }; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    expect(body.data?.session).toMatchObject({ name: expect.any(String), app: { name: expect.any(String) } });
  });

  it('answers /healthz and /readyz with 200', async () => {
    expect((await fetch(`${banner.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${banner.url}/readyz`)).status).toBe(200);
  });

  it('exits 0 on SIGTERM within 10 s and stops its embedded database', async () => {
    const databasePort = Number(new URL(banner.databaseUri).port);
    expect(await portIsOpen(databasePort)).toBe(true);
    started.child.kill('SIGTERM');
    const { code, signal } = await withTimeout(started.exited, 10_000, 'shutdown after SIGTERM');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(await portIsOpen(databasePort)).toBe(false);
    expect(started.stderr()).toBe('');
  }, 15_000);
});

describe('npm start: where it listens, and a start that fails', () => {
  it('the embedded demo listens on 127.0.0.1 unless HOST says otherwise (its IDE hands out an owner’s token)', async () => {
    const env = baseEnv();
    delete env.HOST;
    const started = startMain(env);
    await started.printed((out) => out.includes('session gateway listening'), 15_000, 'the "listening" line');
    const listening = started.logs().find((line) => line.msg === 'session gateway listening')!;
    expect(String(listening.url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    started.child.kill('SIGTERM');
    expect((await withTimeout(started.exited, 10_000, 'exit')).code).toBe(0);
  }, 20_000);

  /** Starts the demo with `setting` set to a port a blocker holds; what `check` asserts of it, then the blocker is let go. */
  async function withTakenPort(setting: string, check: (started: ReturnType<typeof startMain>) => void): Promise<void> {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const started = startMain({ ...baseEnv(), [setting]: String(port) });
      const { code } = await withTimeout(started.exited, 15_000, `exit on a taken ${setting}`);
      expect(code).toBe(1);
      expect(started.stderr().trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^session gateway failed to start: the address is already in use \\(127\\.0\\.0\\.1:\\d+\\); set ${setting} or free it$`))]);
      check(started);
    } finally {
      blocker.close();
    }
  }

  it('a port already taken: one line saying why, exit non-zero, and the embedded database stopped too', async () => {
    await withTakenPort('PORT', (started) => {
      const embedded = started.logs().find((line) => line.msg === 'embedded database started');
      expect(embedded?.pid).toEqual(expect.any(Number));
      expect(() => process.kill(embedded!.pid as number, 0)).toThrow(/ESRCH/);
    });
  }, 20_000);

  it('the metrics port already taken: the line names METRICS_PORT', async () => {
    await withTakenPort('METRICS_PORT', () => undefined);
  }, 20_000);
});

describe('npm start with MONGODB_URI and no JWT_SECRET', () => {
  it.each([
    ['unset', undefined],
    ['empty', ''],
  ])('exits non-zero quickly, naming JWT_SECRET, when it is %s', async (_label, secret) => {
    const env = baseEnv();
    env.MONGODB_URI = 'mongodb://127.0.0.1:1/agentcloud';
    if (secret !== undefined) env.JWT_SECRET = secret;
    const started = startMain(env);
    const { code } = await withTimeout(started.exited, 10_000, 'exit without JWT_SECRET');
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(started.stderr() + started.stdout()).toMatch(/JWT_SECRET/);
    expect(started.stdout()).not.toMatch(/Token:/);
  }, 15_000);
});

describe('a setting the start cannot use is named in its one line', () => {
  it.each([
    ['HOST', { HOST: 'nohost.invalid' }, /^session gateway failed to start: HOST does not name this machine \("nohost\.invalid" does not resolve\)$/],
    ['METRICS_HOST', { METRICS_HOST: 'nohost.invalid' }, /^session gateway failed to start: METRICS_HOST does not name this machine/],
    ['MONGODB_URI', { MONGODB_URI: 'notauri', JWT_SECRET: 'a-secret' }, /^session gateway failed to start: MONGODB_URI is not a MongoDB connection string: /],
  ])('%s', async (_name, settings, line) => {
    const started = startMain({ ...baseEnv(), ...settings });
    const { code } = await withTimeout(started.exited, 15_000, 'exit');
    expect(code).toBe(1);
    expect(started.stderr().trim().split('\n')).toEqual([expect.stringMatching(line)]);
  }, 20_000);
});
