/** `DateTime`: an ISO-8601 instant (graphql-scalars' RFC 3339 scalar); stored Dates serialize as such. */
import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';

/**
 * graphql-scalars' scalar, but a number past a date's range is refused as every other value it cannot
 * show is: graphql-scalars turns it into an invalid Date, which JSON writes as null, with no error.
 */
export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  serialize(value) {
    const shown: unknown = DateTimeResolver.serialize(value);
    if (shown instanceof Date && Number.isNaN(shown.getTime())) throw new TypeError('DateTime cannot represent an instant out of range');
    return shown;
  },
});
