/**
 * The Grafana dashboard (docs/grafana/session-gateway.json) reads what the gateway exports: after a
 * mixed workload (GraphQL, REST, a refused query, a subscription with its ticks; quotas on), every metric each
 * panel's PromQL names is in `GET /metrics`, with every label the panel filters or groups by.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestGateway, type TestGateway } from './support/gateway';
import { liveClient } from './support/live-client';
import { FULL_GRAPH } from './support/queries';

interface Panel {
  id: number;
  title: string;
  datasource: { uid: string };
  targets: Array<{ expr: string }>;
}

const DASHBOARD = JSON.parse(readFileSync(path.join(__dirname, '..', 'docs', 'grafana', 'session-gateway.json'), 'utf8')) as { panels: Panel[] };
/** Labels Prometheus adds at scrape (`job`) or histograms carry by construction (`le`). */
const NOT_EXPORTED = new Set(['job', 'le']);
const LIVE_INTERVAL_MS = 200;

/** What a PromQL expression reads: each selector's metric, and the labels it matches or groups by. */
export function metricsOf(expr: string): Array<{ metric: string; labels: string[] }> {
  const grouped = [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((match) => match[1].split(',').map((label) => label.trim()).filter(Boolean));
  return [...expr.matchAll(/([a-zA-Z_:][\w:]*)\{([^}]*)\}/g)].map(([, metric, matchers]) => ({
    metric,
    labels: [...new Set([...[...matchers.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((match) => match[1]), ...grouped])].filter((label) => !NOT_EXPORTED.has(label)),
  }));
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ app: { live: { intervalMs: LIVE_INTERVAL_MS }, quotas: { requests: 10_000, windowS: 60 } } });
}, 60_000);
afterAll(() => gw?.stop());

it('names, in every panel, metrics and labels the gateway exports after a mixed workload', async () => {
  const { fixtures } = gw;
  const token = gw.tokenFor('owner');
  // the workload: a query, a REST body, a query past the alias limit, a 404, and a subscription through ticks
  expect((await gw.graphql(`query Full($id: ObjectId!) { session(_id: $id) { ${FULL_GRAPH} } }`, { id: fixtures.sessions.teamCrew.toHexString() }, token)).status).toBe(200);
  expect((await gw.get(`/${fixtures.teams.acmeMain.toHexString()}/session/${fixtures.sessions.teamCrew.toHexString()}.json`, { authorization: `Bearer ${token}` })).status).toBe(200);
  const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `v${i}: viewer { name }`).join(' ')} }`;
  expect((await gw.graphql(aliases, {}, token)).body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  expect((await gw.get('/nowhere')).status).toBe(404);
  const client = liveClient(gw.url, token);
  try {
    const updates = client.subscribe('subscription($id: ObjectId!) { sessionUpdated(_id: $id) { _id name } }', { id: fixtures.sessions.teamCrew.toHexString() });
    const messages = client.subscribe('subscription($id: ObjectId!) { messageAdded(sessionId: $id) { _id } }', { id: fixtures.sessions.teamCrew.toHexString() });
    await updates.next(1);
    await gw.db.collection('sessions').updateOne({ _id: fixtures.sessions.teamCrew }, { $set: { name: 'Renamed for the dashboard' } });
    await updates.next(2, 20 * LIVE_INTERVAL_MS);
    expect(messages.errors).toEqual([]);

    const text = await (await fetch(`${gw.metricsUrl}/metrics`)).text();
    const exported = new Map<string, Set<string>>();
    for (const line of text.split('\n')) {
      const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+$/.exec(line);
      if (!sample) continue;
      const labels = exported.get(sample[1]) ?? new Set<string>();
      for (const [, label] of (sample[2] ?? '').matchAll(/(\w+)="/g)) labels.add(label);
      exported.set(sample[1], labels);
    }

    const missing: string[] = [];
    for (const panel of DASHBOARD.panels) {
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const { expr } of panel.targets) {
        const read = metricsOf(expr);
        expect({ panel: panel.title, expr, reads: read.length }).toEqual({ panel: panel.title, expr, reads: expect.any(Number) });
        expect(read.length).toBeGreaterThan(0);
        for (const { metric, labels } of read) {
          const has = exported.get(metric);
          if (!has) missing.push(`${panel.title}: ${metric} is not exported`);
          else for (const label of labels) if (!has.has(label)) missing.push(`${panel.title}: ${metric} has no label ${label}`);
        }
      }
    }
    expect(missing).toEqual([]);
  } finally {
    await client.dispose();
  }
}, 60_000);

it('is a dashboard Grafana imports: unique panel ids, a Prometheus data source chosen by variable', () => {
  const ids = DASHBOARD.panels.map((panel) => panel.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const panel of DASHBOARD.panels) expect(panel.datasource.uid).toBe('${datasource}');
  // the reader checks itself: a selector, its matchers and its grouping
  expect(metricsOf('sum by (route) (rate(http_requests_total{job=~"$job", status="503"}[5m]))')).toEqual([{ metric: 'http_requests_total', labels: ['status', 'route'] }]);
});
