/**
 * Quota counts shared by every copy of the gateway, in Redis. Each caller's window is one hash that
 * expires a window after its first request, and one Lua script adds to it and starts its expiry
 * atomically (a fixed window: two integers per caller, whatever its rate; a sorted set of request times
 * would slide exactly but hold a member per request). Redis unreachable or not answering: the counts go
 * on in this process (MemoryQuotaStore) without asking Redis, with one log line per outage and
 * `onShared(false)`, while the script run on a probe key once a second tells when it works again; then
 * the shared counts again.
 */
import Redis from 'ioredis';
import { MemoryQuotaStore, type QuotaLimits, type QuotaStore, type WindowCounts } from './quota-store';

// ARGV: requests, cost, window ms, request limit, cost limit (-1: none). The requests are always
// counted, the cost only when neither quota is passed; the last value says which was (1, 2) or none (0).
const ADD = `
local requests = redis.call('HINCRBY', KEYS[1], 'requests', ARGV[1])
local cost = tonumber(redis.call('HGET', KEYS[1], 'cost') or '0')
local adding = tonumber(ARGV[2])
local maxRequests = tonumber(ARGV[4])
local maxCost = tonumber(ARGV[5])
local passed = 0
if tonumber(ARGV[1]) > 0 and maxRequests >= 0 and requests > maxRequests then
  passed = 1
elseif adding > 0 and maxCost >= 0 and cost + adding > maxCost then
  passed = 2
else
  cost = redis.call('HINCRBY', KEYS[1], 'cost', adding)
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  left = tonumber(ARGV[3])
end
return { requests, cost, left, passed }`;

const PASSED = [null, 'requests', 'cost'] as const;

/** A command slower than this counts as an outage. */
const COMMAND_TIMEOUT_MS = 500;
/** While the counts are local, Redis is asked whether it answers again this often (no request waits on it). */
const PROBE_INTERVAL_MS = 1000;
/** What the probe runs the quota script on. */
const PROBE_KEY = 'gateway:quota-probe';

export interface RedisQuotaStoreOptions {
  url: string;
  /** Told when the counts become shared again (true) or fall back to this process (false). */
  onShared?(shared: boolean, error?: unknown): void;
}

export class RedisQuotaStore implements QuotaStore {
  private readonly redis: Redis;
  private readonly local = new MemoryQuotaStore();
  /** `connecting` until Redis first answers or fails; then whether the counts are shared now. */
  private state: 'connecting' | 'shared' | 'local' = 'connecting';
  /** While local: the timer of the probe that asks whether Redis takes the quota script again. */
  private probe: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: RedisQuotaStoreOptions) {
    this.redis = new Redis(options.url, {
      // fail at once while Redis is away (the process counts alone), reconnect in the background
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      lazyConnect: false,
    });
    this.redis.defineCommand('gatewayQuotaAdd', { numberOfKeys: 1, lua: ADD });
    // errors surface through the commands; an unhandled 'error' event would crash the process
    this.redis.on('error', () => undefined);
    this.redis.on('ready', () => this.setShared(true));
  }

  /** Resolves once Redis answers, or after `timeoutMs` (the gateway then starts counting alone). */
  async ready(timeoutMs: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async add(caller: string, requests: number, cost: number, windowMs: number, limits: QuotaLimits = {}): Promise<WindowCounts> {
    // a Redis that stopped answering would cost every request the command timeout
    if (this.state === 'local') return this.local.add(caller, requests, cost, windowMs, limits);
    try {
      const [sharedRequests, sharedCost, resetInMs, passed] = await this.addShared(`gateway:quota:${caller}`, requests, cost, windowMs, limits);
      this.setShared(true);
      return { requests: sharedRequests, cost: sharedCost, resetInMs, passed: PASSED[passed] ?? null };
    } catch (error) {
      this.setShared(false, error);
      return this.local.add(caller, requests, cost, windowMs, limits);
    }
  }

  private addShared(key: string, requests: number, cost: number, windowMs: number, limits: QuotaLimits = {}): Promise<[number, number, number, number]> {
    const command = (this.redis as unknown as { gatewayQuotaAdd(key: string, ...args: number[]): Promise<[number, number, number, number]> }).gatewayQuotaAdd;
    return command.call(this.redis, key, requests, cost, windowMs, limits.requests ?? -1, limits.cost ?? -1);
  }

  /** Whether the counts are shared now (the last command reached Redis). */
  get isShared(): boolean {
    return this.state === 'shared';
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probe);
    this.redis.disconnect();
    await this.local.close();
  }

  private setShared(shared: boolean, error?: unknown): void {
    const next = shared ? 'shared' : 'local';
    if (next === this.state || this.closed) return;
    const first = this.state === 'connecting';
    this.state = next;
    if (shared) {
      clearInterval(this.probe);
      this.probe = undefined;
    } else {
      let asking = false;
      this.probe = setInterval(() => {
        if (asking) return;
        asking = true;
        // the quota script itself, adding nothing: a Redis that answers PING but refuses the script's
        // writes (a read-only replica after a failover) is not back
        this.addShared(PROBE_KEY, 0, 0, PROBE_INTERVAL_MS).then(() => this.setShared(true), () => undefined).finally(() => (asking = false));
      }, PROBE_INTERVAL_MS).unref();
    }
    // the first answer is no news; an outage from the start is
    if (!first || !shared) this.options.onShared?.(shared, error);
  }
}
