/**
 * Stored values a field cannot show. graphql-js makes a field null, with an error at its path, when
 * its scalar or enum type cannot represent the stored value; this marks those errors as
 * INVALID_STORED_DATA (the data's fault), so that they are told apart from the gateway's own defects
 * by their class rather than by their message. The message names the kind of value, never the value:
 * a stored value nobody can see is not shown in an error or a log either.
 *
 * Lists of stored leaves (`tags: [String!]`) are checked the same way, since graphql-js reports an
 * empty item or a value that is not a list as an error of its own, which would read as a defect.
 */
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLEnumType,
  type GraphQLField,
  type GraphQLScalarType,
  type GraphQLSchema,
} from 'graphql';
import { kindOf } from '../data-model/value-kind';
import { ErrorCode, GatewayError } from '../errors/codes';

const wrapped = new WeakSet<object>();

export function reportStoredValueErrors(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || wrapped.has(type)) continue;
    if (isScalarType(type) || isEnumType(type)) wrapSerialize(type);
    if (isObjectType(type)) for (const field of Object.values(type.getFields())) if (isStoredLeafList(field)) checkStoredList(field);
  }
  return schema;
}

const storedValueError = (reason: string) => new GatewayError(ErrorCode.INVALID_STORED_DATA, `Stored value not shown: ${reason}`);

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
      throw storedValueError(`${type.name} cannot represent a stored ${kindOf(value)}`);
    }
  };
  wrapped.add(type);
}

/** A list of leaves read as stored (no resolver of its own). */
function isStoredLeafList(field: GraphQLField<unknown, unknown>): boolean {
  return !field.resolve && !wrapped.has(field) && isListType(getNullableType(field.type)) && isLeafType(getNamedType(field.type));
}

function checkStoredList(field: GraphQLField<unknown, unknown>): void {
  const { name } = field;
  const listRequired = isNonNullType(field.type);
  const itemsRequired = isNonNullType((getNullableType(field.type) as { ofType: unknown }).ofType);
  const shown = String(field.type);
  field.resolve = (source) => {
    const value = (source as Record<string, unknown>)[name];
    if (value == null) {
      if (listRequired) throw storedValueError(`${shown} cannot represent a stored ${kindOf(value ?? null)}`);
      return value;
    }
    if (!Array.isArray(value)) throw storedValueError(`${shown} cannot represent a stored ${kindOf(value)}`);
    if (itemsRequired && value.some((item) => item == null)) throw storedValueError(`${shown} cannot represent a stored list with an empty item`);
    return value;
  };
  wrapped.add(field);
}
