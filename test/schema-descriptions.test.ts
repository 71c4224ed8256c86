/**
 * The schema documents itself (CONTRACT §5): every type, field and argument of the schema the code
 * builds has a description (enum values too), so that the IDE's docs and generated types explain everything.
 */
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, isSpecifiedScalarType } from 'graphql';
import { buildSubgraphGatewaySchema } from '../src/assembly/subgraph-schema';
import { buildGatewaySchema } from '../src/assembly/gateway-schema';
import { startTestGateway, type TestGateway } from './support/gateway';

it('has a description on every type, field, argument and enum value, the root types included', () => {
  const schema = buildGatewaySchema();
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
    if (!type.description) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of 'args' in field ? field.args : []) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
    if (isEnumType(type)) for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
  }
  expect(missing).toEqual([]);
});

describe('what a client developer reads, from a running gateway', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.stop());

  it('describes the root types, in the plain schema and the federation subgraph alike', async () => {
    const query = '{ __schema { queryType { name description } subscriptionType { name description } } }';
    const { body } = await gw.graphql(query);
    expect(body.data.__schema.queryType).toEqual({ name: 'Query', description: expect.stringMatching(/entry points/) });
    expect(body.data.__schema.subscriptionType).toEqual({ name: 'Subscription', description: expect.stringMatching(/WebSocket/) });
    const subgraph = buildSubgraphGatewaySchema();
    expect(subgraph.getQueryType()?.description).toBe(body.data.__schema.queryType.description);
  });

  it('PageInfo speaks of the items of any connection, not of sessions: it pages messages too', async () => {
    const { body } = await gw.graphql('{ __type(name: "PageInfo") { description fields { name description } } }');
    const texts = [body.data.__type.description, ...body.data.__type.fields.map((field: { description: string }) => field.description)];
    expect(texts.filter((text: string) => /session/i.test(text) && !/messages/i.test(text))).toEqual([]);
    const connections = await gw.graphql('{ m: __type(name: "MessageConnection") { fields { name type { ofType { name } } } } s: __type(name: "SessionConnection") { fields { name type { ofType { name } } } } }');
    for (const type of [connections.body.data.m, connections.body.data.s]) {
      expect(type.fields.find((field: { name: string }) => field.name === 'pageInfo').type.ofType.name).toBe('PageInfo');
    }
  });
});
