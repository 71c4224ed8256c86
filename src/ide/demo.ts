/** What the IDE starts with on the embedded demo (`npm start` without MONGODB_URI): a token and a query that work. */
import type { IdeOptions } from './page';

export function demoIdeOptions(demo: { token: string; sessionId: string }): IdeOptions {
  return {
    defaultHeaders: JSON.stringify({ Authorization: `Bearer ${demo.token}` }, null, 2),
    defaultQuery: `# Session gateway demo (embedded throwaway database with demo data)
#
# The demo owner's bearer token is already in the Headers tab below.
# Run this query with the ▶ button (or Ctrl-Enter); the book icon on the left opens the docs.

query DemoSession {
  session(_id: "${demo.sessionId}") {
    _id
    name
    status
    tokensUsed
    startDate
    app {
      name
      type
    }
    tasks {
      name
    }
    agents {
      name
      model {
        name
      }
    }
  }
}
`,
  };
}
