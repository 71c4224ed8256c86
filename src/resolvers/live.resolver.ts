/** The subscriptions (docs/live-updates.md), served by the live engine (src/live) over WebSocket. */
import type { GraphQLSchema } from 'graphql';
import { Arg, Resolver, Root, Subscription } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import type { RequestContext } from '../context/request-context';
import type { MessageDoc, SessionDoc } from '../data-model/documents';
import { liveOf } from '../live/live-engine';
import { reached } from '../schema/marks';
import { ObjectIdScalar } from '../schema/scalars/object-id';
import { Message } from '../schema/types/message';
import { Session } from '../schema/types/session';
import { setFieldResolver } from './schema-resolvers';
import { MESSAGE_TYPE } from './message.resolver';

/**
 * Each subscription's event resolver, set on the schema's field (resolveEventsDirectly): type-graphql's
 * wrapper works a resolver's parameters out through promises on every call, once per event here.
 */
const EVENT_RESOLVERS = {
  sessionUpdated: (session: SessionDoc): SessionDoc => session,
  messageAdded: (message: MessageDoc, args: { sessionId: ObjectId }): MessageDoc => reached(message, MESSAGE_TYPE, args.sessionId),
};

export function resolveEventsDirectly(schema: GraphQLSchema): GraphQLSchema {
  const typeName = schema.getSubscriptionType()?.name;
  for (const [name, resolve] of Object.entries(EVENT_RESOLVERS)) setFieldResolver(schema, typeName, name, resolve, `the subscription ${name}`);
  return schema;
}

interface Subscribe<A> {
  args: A;
  context: RequestContext;
}

// The methods declare the fields; what runs for an event is EVENT_RESOLVERS (resolveEventsDirectly).
@Resolver()
export class LiveResolver {
  @Subscription(() => Session, {
    description: 'The session now, then whenever its stored document changes. Completes at once when it does not exist or the caller may not read it, and when the caller loses access.',
    subscribe: ({ args, context }: Subscribe<{ _id: ObjectId }>) => {
      const { engine, caller } = liveOf(context);
      return engine.watchSession(context, caller, args._id);
    },
  })
  sessionUpdated(@Arg('_id', () => ObjectIdScalar, { description: 'The session’s id.' }) _id: ObjectId, @Root() session: SessionDoc): SessionDoc {
    return EVENT_RESOLVERS.sessionUpdated(session);
  }

  @Subscription(() => Message, {
    description:
      'The session’s messages as they are written, and a message again whenever what a reader sees of it changes (streamed pieces, an overwrite, `completed`). With `after` (the `_id` of the last message the client holds), it first replays, oldest first, the messages at or before `after` that are not completed or were written in the resume window before it (a reply may have ended meanwhile; 300 s by default), then every message after it, then goes on live with no gap: merge by `_id`, the last version winning, and resubscribe with it after a reconnect. Same access rules as `sessionUpdated`.',
    subscribe: ({ args, context }: Subscribe<{ sessionId: ObjectId; after?: ObjectId | null }>) => {
      const { engine, caller } = liveOf(context);
      return engine.watchMessages(context, caller, args.sessionId, args.after ?? undefined);
    },
  })
  messageAdded(
    @Arg('sessionId', () => ObjectIdScalar, { description: 'The session whose messages to follow.' }) sessionId: ObjectId,
    @Arg('after', () => ObjectIdScalar, { nullable: true, description: 'The `_id` of the last message the client holds (from `Session.messages` or an earlier event): resume from there.' }) _after: ObjectId | null,
    @Root() message: MessageDoc,
  ): MessageDoc {
    return EVENT_RESOLVERS.messageAdded(message, { sessionId });
  }
}
