/**
 * The schema documents itself (CONTRACT §5): every type, field and argument of the schema the code
 * builds has a description, so that the IDE's docs and generated types explain everything.
 */
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, isUnionType, isSpecifiedScalarType } from 'graphql';
import { buildGatewaySchema } from '../src/schema/build';

it('has a description on every type, field and argument', () => {
  const schema = buildGatewaySchema();
  const missing: string[] = [];
  // the root operation types: their fields say everything (type-graphql gives them no description)
  const roots = new Set([schema.getQueryType()?.name, schema.getSubscriptionType()?.name]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
    if (!type.description && !roots.has(type.name)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of 'args' in field ? field.args : []) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
    if (isEnumType(type) || isUnionType(type)) continue;
  }
  expect(missing).toEqual([]);
});
