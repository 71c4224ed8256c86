/**
 * The set-up of a test file about subscriptions: a gateway whose live engine ticks every
 * `intervalMs`, started before the file's tests and stopped after them, and clients opened through
 * `open`, disposed after each test.
 */
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './gateway';
import { liveClient, type LiveClient } from './live-client';

export interface LiveSuite {
  /** The file's gateway (started in `beforeAll`). */
  readonly gw: TestGateway;
  /** A client of `gateway` (the file's by default), disposed after the test. */
  open(token?: string | null, params?: Record<string, unknown>, gateway?: TestGateway): LiveClient;
  /** Disposes the clients opened so far (before a test stops a gateway it started itself). */
  disposeClients(): Promise<void>;
}

export function liveSuite(intervalMs: number, options: TestGatewayOptions = {}): LiveSuite {
  let gateway: TestGateway | undefined;
  const clients: LiveClient[] = [];
  const disposeClients = async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  };
  const suite: LiveSuite = {
    get gw() {
      if (!gateway) throw new Error('the live gateway is started in beforeAll');
      return gateway;
    },
    open(token, params, target) {
      const client = liveClient((target ?? suite.gw).url, token, params);
      clients.push(client);
      return client;
    },
    disposeClients,
  };
  beforeAll(async () => {
    gateway = await startTestGateway({ ...options, app: { ...options.app, live: { ...options.app?.live, intervalMs } } });
  });
  afterEach(disposeClients);
  afterAll(async () => {
    await disposeClients();
    await gateway?.stop();
  });
  return suite;
}
