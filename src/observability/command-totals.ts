/**
 * Database commands since start, by command name, from the driver's command monitoring: a process-wide
 * view for metrics and the benchmark. (Per-request counts come from the request's loaders, which see
 * every read; AsyncLocalStorage would also give them, but its promise hooks cost every request ~8% CPU
 * on Node 20.)
 */
import type { MongoClient } from 'mongodb';

export const commandTotals = new Map<string, number>();

export function countCommands(client: MongoClient): void {
  client.on('commandStarted', (event) => {
    commandTotals.set(event.commandName, (commandTotals.get(event.commandName) ?? 0) + 1);
  });
}
