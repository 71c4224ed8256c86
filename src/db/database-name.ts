/** The database named by the path of a MongoDB URI, or `agentcloud` when it names none (docs/data-layer.md). */
export const DEFAULT_DATABASE_NAME = 'agentcloud';

export function databaseNameFromUri(uri: string): string {
  // mongodb[+srv]://[user:pass@]host1[:port][,host2...]/[database][?options]
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(uri);
  const name = match ? decodeURIComponent(match[1]) : '';
  return name || DEFAULT_DATABASE_NAME;
}
