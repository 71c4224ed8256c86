/**
 * Subscription events executed by graphql-jit (src/server/jit/event-executor.ts) answer what graphql-js
 * answers, and run compiled when the subscribe names its arguments inline as well as through variables
 * (custom-scalar literals would otherwise reach resolvers as their JSON, and each event run twice).
 */
import 'reflect-metadata';
import { parse } from 'graphql';
import { ObjectId } from 'mongodb';
import { buildGatewaySchema } from '../src/assembly/gateway-schema';
import type { ExecutionPath } from '../src/observability/metrics';
import { eventExecutor } from '../src/server/jit/event-executor';

const schema = buildGatewaySchema();

describe('subscription events on graphql-jit', () => {
  const sessionId = new ObjectId();
  const message = { _id: new ObjectId(), teamId: new ObjectId(), sessionId, message: { message: { text: 'hello' } }, completed: true };
  const selection = '{ _id id text completed }';
  const cases: Array<[string, string, Record<string, unknown> | undefined]> = [
    ['inline arguments', `subscription { messageAdded(sessionId: "${sessionId.toHexString()}") ${selection} }`, undefined],
    ['variables', `subscription($id: ObjectId!) { messageAdded(sessionId: $id) ${selection} }`, { id: sessionId.toHexString() }],
  ];

  it.each(cases)('with %s, each event runs compiled and answers as graphql-js does', async (_how, text, variableValues) => {
    const document = parse(text);
    const paths: ExecutionPath[] = [];
    const compiled = eventExecutor(schema, true, (how) => paths.push(how));
    const reference = eventExecutor(schema, false);
    const answer = await compiled({ schema, document, variableValues }, message, {});
    expect(answer).toEqual(await reference({ schema, document, variableValues }, message, {}));
    expect(answer.errors).toBeUndefined();
    expect((answer.data as { messageAdded: { _id: string; text: string } }).messageAdded).toMatchObject({ _id: message._id.toHexString(), text: 'hello' });
    await compiled({ schema, document, variableValues }, message, {});
    expect(paths).toEqual(['jit', 'jit']);
  });
});
