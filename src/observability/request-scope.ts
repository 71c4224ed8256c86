/**
 * What the process knows about the request it is serving at any point: its id and how many database
 * commands it has issued. AsyncLocalStorage carries it through async calls, so concurrent requests do
 * not mix, and code without a context object (the driver's command events, error formatting) can
 * still name the request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MongoClient } from 'mongodb';

export interface RequestScope {
  requestId: string;
  dbCommands: number;
}

const current = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return current.run(scope, fn);
}

export function currentRequestScope(): RequestScope | undefined {
  return current.getStore();
}

/** Commands since start, by command name (for metrics and the benchmark). */
export const commandTotals = new Map<string, number>();

export function countCommands(client: MongoClient): void {
  client.on('commandStarted', (event) => {
    commandTotals.set(event.commandName, (commandTotals.get(event.commandName) ?? 0) + 1);
    const scope = current.getStore();
    if (scope) scope.dbCommands += 1;
  });
}
