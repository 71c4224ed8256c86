/**
 * Stored values a field cannot show. graphql-js makes a field null, with an error at its path, when
 * its scalar or enum type cannot represent the stored value; this marks those errors as
 * INVALID_STORED_DATA (the data's fault), so that they are told apart from the gateway's own defects
 * by their class rather than by their message.
 */
import { GraphQLError, isEnumType, isScalarType, type GraphQLEnumType, type GraphQLScalarType, type GraphQLSchema } from 'graphql';
import { ErrorCode, GatewayError } from '../errors/codes';

const wrapped = new WeakSet<object>();

export function reportStoredValueErrors(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || wrapped.has(type)) continue;
    if (isScalarType(type) || isEnumType(type)) wrapSerialize(type);
  }
  return schema;
}

// Built-in scalars (Int, String, …) are graphql-js's shared instances, so they are wrapped once for the
// process; that only changes the class of the errors they throw on output.
function wrapSerialize(type: GraphQLScalarType | GraphQLEnumType): void {
  const serialize = type.serialize.bind(type);
  type.serialize = (value: unknown) => {
    try {
      return serialize(value);
    } catch (error) {
      // already the data's (a scalar built on another one, both wrapped): as it is
      if (error instanceof GatewayError && error.code === ErrorCode.INVALID_STORED_DATA) throw error;
      // serialize only ever sees a stored value: whatever it refuses is the data's
      const reason = error instanceof GraphQLError ? error.message : `${type.name} cannot represent the stored value`;
      throw new GatewayError(ErrorCode.INVALID_STORED_DATA, `Stored value not shown: ${reason}`);
    }
  };
  wrapped.add(type);
}
