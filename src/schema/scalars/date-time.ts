/** `DateTime`: an ISO-8601 instant (graphql-scalars' RFC 3339 scalar); stored Dates serialize as such. */
export { DateTimeResolver as DateTimeScalar } from 'graphql-scalars';
