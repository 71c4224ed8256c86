import express, { type Request, type Response } from 'express';
import { notFound } from '../errors/legacy-body';
import type { GatewayMetrics } from '../observability/metrics';

/**
 * `GET /metrics`, unauthenticated like the probes, on an app of its own: it is served on its own
 * listener (METRICS_HOST, by default 127.0.0.1), never on the API's port, so that no caller of the API
 * can read anything about other tenants' requests from it.
 */
export function metricsApp(metrics: GatewayMetrics): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req: Request, res: Response) => {
    const { contentType, body } = await metrics.scrape();
    res.set({ 'Content-Type': contentType, 'Cache-Control': 'no-store' }).send(body);
  });
  app.use(notFound);
  return app;
}
