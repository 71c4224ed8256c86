import { Args, ArgsType, Ctx, Field, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { CONVERSATION, nodeTypeName } from '../data-model/collections';
import type { MessageDoc, SessionDoc } from '../data-model/documents';
import { isCompleted, messageText } from '../data-model/message-text';
import type { RequestContext } from '../context/request-context';
import { MessageDisplayType, MessageType } from '../schema/enums';
import { reached } from '../schema/marks';
import { checkPageSize, PAGES } from '../schema/page-size';
import { DateTimeScalar } from '../schema/scalars/date-time';
import { Message, MessageConnection } from '../schema/types/message';
import { Session } from '../schema/types/session';
import { connectionOf, decodeCursor } from './cursor';

/** The GraphQL type of the conversation's documents. */
export const MESSAGE_TYPE = nodeTypeName(CONVERSATION.collection);
const { max: MAX_MESSAGES_PAGE, default: DEFAULT_MESSAGES_PAGE } = PAGES.messages;

@ArgsType()
class MessagesArgs {
  @Field(() => Int, { defaultValue: DEFAULT_MESSAGES_PAGE, description: `How many messages, from 0 to ${MAX_MESSAGES_PAGE}.` })
  first!: number;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  after?: string | null;
}

@Resolver(() => Session)
export class SessionMessagesResolver {
  @FieldResolver(() => MessageConnection, { description: `The session’s conversation, oldest first. \`first\` is at most ${MAX_MESSAGES_PAGE}.` })
  async messages(@Root() session: SessionDoc, @Args(() => MessagesArgs) { first, after }: MessagesArgs, @Ctx() ctx: RequestContext) {
    checkPageSize(PAGES.messages, first);
    const afterId = after == null ? undefined : decodeCursor('message', after);
    const found = await ctx.loaders.messages.page.load({ session, after: afterId, first });
    const page = found.slice(0, first).map((doc) => reached(doc, MESSAGE_TYPE, session._id));
    return connectionOf('message', page, found.length > first, after);
  }
}

@Resolver(() => Message)
export class MessageResolver {
  @FieldResolver(() => DateTimeScalar, { nullable: true, description: 'When the message was sent.' })
  ts(@Root() doc: MessageDoc): unknown {
    // epoch ms within a Date's range as the date; anything else stored goes to the scalar, which shows
    // a date and refuses the rest (INVALID_STORED_DATA) by its own kind (a number out of range too)
    if (typeof doc.ts === 'number') {
      const date = new Date(doc.ts);
      return Number.isNaN(date.getTime()) ? doc.ts : date;
    }
    return doc.ts ?? null;
  }

  @FieldResolver(() => Boolean, { nullable: true, description: 'Whether a person sent it (true) or an agent (false).' })
  incoming(@Root() doc: MessageDoc): boolean | null {
    return typeof doc.message?.incoming === 'boolean' ? doc.message.incoming : null;
  }

  @FieldResolver(() => MessageType, { nullable: true, description: 'Prose or code.' })
  type(@Root() doc: MessageDoc): unknown {
    return doc.message?.message?.type ?? null;
  }

  @FieldResolver(() => MessageDisplayType, { nullable: true, description: 'A chat bubble, or inline in the conversation.' })
  displayType(@Root() doc: MessageDoc): unknown {
    return doc.message?.message?.displayType ?? null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Code messages: the language of the code.' })
  language(@Root() doc: MessageDoc): string | null {
    return doc.message?.message?.language ?? null;
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether the writer marked the message complete (the stored `completed`, or `message.completed`); false when neither is stored. What the webapp shows its spinner by.',
  })
  completed(@Root() doc: MessageDoc): boolean {
    return isCompleted(doc);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'The text as a reader sees it: the stored text, or, while a reply streams and no overwrite has happened, its pieces joined in the order of their time. Null, with an error at this field, when what is stored is not a string.',
  })
  text(@Root() doc: MessageDoc): string | null {
    return messageText(doc);
  }
}
