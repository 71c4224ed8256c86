/**
 * `ObjectId`: a MongoDB id as 24 lowercase hex characters, the same spelling the REST path accepts.
 * Anything else (uppercase, other lengths, numbers, objects such as `{"$ne": null}`) is rejected as
 * BAD_USER_INPUT before a resolver runs, so no operator object can reach a query.
 */
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { ObjectId } from 'mongodb';
import { isObjectIdHex } from '../../db/object-id';
import { badUserInput } from '../../errors/codes';

function parse(value: unknown): ObjectId {
  if (!isObjectIdHex(value)) {
    throw badUserInput(`ObjectId must be a string of 24 lowercase hex characters; got ${describe(value)}`);
  }
  return new ObjectId(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : `a value of type ${typeof value}`;
}

export const ObjectIdScalar = new GraphQLScalarType<ObjectId, string>({
  name: 'ObjectId',
  description: 'A MongoDB ObjectId: exactly 24 lowercase hexadecimal characters, e.g. "65f1c0a2b3c4d5e6f7a8b9c0".',
  specifiedByURL: 'https://www.mongodb.com/docs/manual/reference/method/ObjectId/',
  serialize(value) {
    if (value instanceof ObjectId) return value.toHexString();
    if (typeof value === 'string' && /^[0-9a-fA-F]{24}$/.test(value)) return value.toLowerCase();
    throw new TypeError('ObjectId cannot represent a value that is not an id');
  },
  parseValue: parse,
  parseLiteral(node: ValueNode) {
    return parse(node.kind === Kind.STRING ? node.value : literalDescription(node));
  },
});

/** A stand-in that `parse` rejects with a message naming what was sent. */
function literalDescription(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.OBJECT:
      return {};
    case Kind.LIST:
      return [];
    case Kind.NULL:
      return null;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    default:
      return undefined;
  }
}
