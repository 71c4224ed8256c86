/**
 * `ObjectId`: a MongoDB id as 24 lowercase hex characters, the same spelling the REST path accepts.
 * Anything else (uppercase, other lengths, numbers, objects such as `{"$ne": null}`) is rejected as
 * BAD_USER_INPUT before a resolver runs, so no operator object can reach a query.
 */
import { GraphQLError, GraphQLScalarType, Kind, print, type ValueNode } from 'graphql';
import type { ObjectId } from 'mongodb';
import { idHex, isObjectIdHex, objectIdOfHex } from '../../data-model/object-id';
import { badUserInput } from '../../errors/codes';

function parse(value: unknown): ObjectId {
  if (!isObjectIdHex(value)) throw invalid(describe(value));
  return objectIdOfHex(value);
}

const invalid = (got: string) => badUserInput(`ObjectId must be a string of 24 lowercase hex characters; got ${got}`);

function describe(value: unknown): string {
  if (typeof value === 'string') return truncate(JSON.stringify(value));
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `the ${typeof value} ${truncate(String(value))}`;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export const ObjectIdScalar = new GraphQLScalarType<ObjectId, string>({
  name: 'ObjectId',
  description: 'A MongoDB ObjectId: exactly 24 lowercase hexadecimal characters, e.g. "65f1c0a2b3c4d5e6f7a8b9c0".',
  specifiedByURL: 'https://www.mongodb.com/docs/manual/reference/method/ObjectId/',
  serialize(value) {
    const hex = idHex(value);
    if (hex === null) throw new GraphQLError('ObjectId cannot represent a value that is not an id');
    return hex;
  },
  parseValue: parse,
  parseLiteral(node: ValueNode) {
    if (node.kind !== Kind.STRING) throw invalid(truncate(print(node)));
    return parse(node.value);
  },
});
