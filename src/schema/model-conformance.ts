/**
 * The schema checked against the data model when it is built, so that the two cannot disagree: a
 * field the model names (a relation, a Session stage, a page, a sized argument) exists with the
 * model's list-ness, type and nullability; every collection shown as a type is a `Node` keyed for
 * federation by `id`; and every list that can hold documents has a size the query cost counts. A
 * disagreement is a start-up error naming each field, never a silent cost of 1.
 */
import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isInterfaceType,
  isListType,
  isObjectType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { COLLECTION_NAMES, SESSION_TYPE_NAME, typeNameOf } from '../data-model/collections';
import { RELATION_LIST } from '../data-model/relations';
import { SESSION_GRAPH, SESSION_LIST_FIELDS, stageCollection } from '../data-model/session-graph';
import { ARGUMENT_SIZES, DOCUMENT_TYPES, ENTITIES, LIST_SIZES, PAGE_ITEM_LISTS, PAGE_SIZES } from './cost-model';

export class SchemaModelMismatch extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`The schema disagrees with the data model (src/data-model):\n- ${problems.join('\n- ')}`);
    this.name = 'SchemaModelMismatch';
  }
}

/** Throws SchemaModelMismatch listing every disagreement; returns the schema when there is none. */
export function checkSchemaAgainstModel(schema: GraphQLSchema): GraphQLSchema {
  const problems = [...relationProblems(schema), ...nodeProblems(schema), ...sizeProblems(schema)];
  if (problems.length > 0) throw new SchemaModelMismatch(problems);
  return schema;
}

function fieldAt(schema: GraphQLSchema, key: string): GraphQLField<unknown, unknown> | string {
  const [typeName, fieldName] = key.split('.');
  const type = schema.getType(typeName);
  if (!isObjectType(type) && !isInterfaceType(type)) return `${key}: the type ${typeName} is not in the schema`;
  return type.getFields()[fieldName] ?? `${key}: no such field in the schema`;
}

/** A one-relation is a nullable value of the target's type; a many-relation a non-null list of non-null values. */
function shapeProblem(key: string, field: GraphQLField<unknown, unknown>, many: boolean, typeName: string): string | null {
  const named = getNamedType(field.type).name;
  if (named !== typeName) return `${key}: the model says ${typeName}, the schema ${String(field.type)}`;
  const list = isListType(getNullableType(field.type));
  if (many !== list) return `${key}: the model says ${many ? 'a list' : 'one value'}, the schema ${String(field.type)}`;
  const expected = many ? `[${typeName}!]!` : typeName;
  return String(field.type) === expected ? null : `${key}: the model says ${expected}, the schema ${String(field.type)}`;
}

function relationProblems(schema: GraphQLSchema): string[] {
  const problems: string[] = [];
  const check = (key: string, many: boolean, typeName: string) => {
    const field = fieldAt(schema, key);
    const problem = typeof field === 'string' ? field : shapeProblem(key, field, many, typeName);
    if (problem) problems.push(problem);
  };
  for (const relation of RELATION_LIST) check(`${typeNameOf(relation.from)}.${relation.field}`, relation.many, typeNameOf(relation.to)!);
  for (const stage of SESSION_LIST_FIELDS) check(`${SESSION_TYPE_NAME}.${stage}`, SESSION_GRAPH[stage].many, typeNameOf(stageCollection(stage))!);
  return problems;
}

function nodeProblems(schema: GraphQLSchema): string[] {
  const problems: string[] = [];
  const modelTypes = new Set<string>();
  for (const collection of COLLECTION_NAMES) {
    const typeName = typeNameOf(collection);
    if (!typeName) continue;
    modelTypes.add(typeName);
    const type = schema.getType(typeName);
    if (!isObjectType(type)) {
      problems.push(`${typeName} (collection ${collection}): no such object type in the schema`);
      continue;
    }
    if (!type.getInterfaces().some((node) => node.name === 'Node')) problems.push(`${typeName} (collection ${collection}): does not implement Node`);
    const keys = (type.astNode?.directives ?? []).filter((directive) => directive.name.value === 'key');
    const keyedById = keys.some((key) => key.arguments?.some((arg) => arg.name.value === 'fields' && arg.value.kind === 'StringValue' && arg.value.value === 'id'));
    if (!keyedById) problems.push(`${typeName} (collection ${collection}): no federation key @key(fields: "id")`);
  }
  const node = schema.getType('Node');
  if (node && isAbstractType(node)) {
    for (const member of schema.getPossibleTypes(node)) {
      if (!modelTypes.has(member.name)) problems.push(`${member.name}: implements Node but no collection of the model is shown as it`);
    }
  }
  return problems;
}

function sizeProblems(schema: GraphQLSchema): string[] {
  const problems: string[] = [];
  for (const [key, page] of PAGE_SIZES) {
    const field = fieldAt(schema, key);
    if (typeof field === 'string') problems.push(field);
    else if (!field.args.some((arg) => arg.name === page.argument)) problems.push(`${key}: its page is sized by \`${page.argument}\`, which the field does not take`);
  }
  for (const [key, argument] of ARGUMENT_SIZES) {
    const field = fieldAt(schema, key);
    if (typeof field === 'string') problems.push(field);
    else if (!field.args.some((arg) => arg.name === argument && isListType(getNullableType(arg.type)))) problems.push(`${key}: sized by the list argument \`${argument}\`, which it does not take`);
  }
  for (const key of [...LIST_SIZES.keys(), ...PAGE_ITEM_LISTS]) {
    const field = fieldAt(schema, key);
    if (typeof field === 'string') problems.push(field);
    else if (!isListType(getNullableType(field.type))) problems.push(`${key}: given a list size, but it is not a list`);
  }
  // fails closed: a list that can hold documents and has no declared size would count as one
  const holds = documentHolders(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (!isObjectType(type) && !isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      if (!isListType(getNullableType(field.type)) || !holds(getNamedType(field.type))) continue;
      if (LIST_SIZES.has(key) || ARGUMENT_SIZES.has(key) || PAGE_ITEM_LISTS.has(key) || key === ENTITIES.field) continue;
      problems.push(`${key}: a list of documents with no size for the query cost (src/schema/cost-model.ts)`);
    }
  }
  return problems;
}

/** Whether values of a type are, or lead to, stored documents. */
function documentHolders(schema: GraphQLSchema): (type: GraphQLNamedType) => boolean {
  const known = new Map<string, boolean>();
  const holds = (type: GraphQLNamedType): boolean => {
    const cached = known.get(type.name);
    if (cached !== undefined) return cached;
    known.set(type.name, false); // a cycle leads nowhere new
    let result = DOCUMENT_TYPES.has(type.name);
    if (!result && isAbstractType(type)) result = schema.getPossibleTypes(type).some(holds);
    if (!result && (isObjectType(type) || isInterfaceType(type))) result = Object.values(type.getFields()).some((field) => holds(getNamedType(field.type)));
    known.set(type.name, result);
    return result;
  };
  return holds;
}

