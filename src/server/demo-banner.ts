/** What `npm start` prints on the embedded demo: where to go and ready-to-paste requests. */
export interface DemoBanner {
  url: string;
  databaseUri: string;
  token: string;
  teamId: string;
  sessionId: string;
  startupMs: number;
}

export function printDemoBanner(demo: DemoBanner): void {
  const query = `{ session(_id: \\"${demo.sessionId}\\") { name status app { name type } tasks { name } agents { name model { name } } } }`;
  const lines = [
    '',
    `Session gateway demo (embedded throwaway database with demo data), ready in ${demo.startupMs} ms`,
    `  GraphQL:   ${demo.url}/graphql   (open it in a browser for the IDE)`,
    `  Database:  ${demo.databaseUri}`,
    `  Token:     ${demo.token}`,
    '',
    'Try:',
    `  curl -s ${demo.url}/graphql -H 'Content-Type: application/json' \\`,
    `    -H 'Authorization: Bearer ${demo.token}' \\`,
    `    -d '{"query":"${query}"}'`,
    '',
    `  curl -s ${demo.url}/${demo.teamId}/session/${demo.sessionId}.json \\`,
    `    -H 'Authorization: Bearer ${demo.token}'`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
