/** GraphQL documents several test files send. */

/** Every field of a session's graph, as a selection set. */
export const FULL_GRAPH = `
  _id name status tokensUsed startDate sharingConfig { mode permissions { granteeId value } } variables { name value }
  app {
    name type createdBy
    crew { name process tasks { name } agents { name } managerModel { name } }
    agent { name }
    kickOffVariables { name }
  }
  tasks { name agent { name } context { name } tools { name } variables { name } }
  agents { name icon { filename } model { name } functionModel { name } tools { name datasource { name } } variables { name } }
  tools { name type data { builtin } datasource { name model { name } } }
  models { name modelType }
  datasources { name model { name } }
`;

/** One session with the graph a frontend typically asks for (the load and outage tests' query). */
export const SESSION_WITH_GRAPH = `query($id: ObjectId!) { session(_id: $id) {
  _id name status startDate sharingConfig { mode permissions { granteeId value } }
  app { name type crew { name managerModel { name } } kickOffVariables { name } }
  tasks { name agent { name } tools { name } context { name } variables { name } }
  agents { name model { name } functionModel { name } tools { name datasource { name } } }
  tools { name type } models { name } datasources { name model { name } } } }`;
