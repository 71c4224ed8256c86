import { Directive, Field, Int, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { ObjectIdScalar } from '../scalars/object-id';
import { Node } from './node';
import { PageInfo } from './connection';

// Fields read from the stored message (`message.message`, `chunks`) are resolved by MessageResolver.
@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'One message of a session’s conversation: a person’s or an agent’s.' })
export class Message extends Node {
  @Field(() => ObjectIdScalar, { description: 'The message’s MongoDB id.' })
  _id!: ObjectId;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'The session the message belongs to.' })
  sessionId?: ObjectId;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'The account that wrote it; null for an agent.' })
  authorId?: ObjectId | null;

  @Field(() => String, { nullable: true, description: 'The name shown as its author.' })
  authorName?: string;

  @Field(() => Boolean, { nullable: true, description: 'Whether the message asks a person for feedback.' })
  isFeedback?: boolean;

  @Field(() => String, { nullable: true, description: 'The id of the streamed reply the message is (the webapp upserts on it).' })
  chunkId?: string;

  @Field(() => Int, { nullable: true, description: 'Tokens the message took.' })
  tokens?: number;
}

@ObjectType({ simpleResolvers: true, description: 'A message of a page, with its cursor.' })
export class MessageEdge {
  @Field({ description: 'Pass as `after` to get the messages after this one.' })
  cursor!: string;

  @Field(() => Message, { description: 'The message.' })
  node!: Message;
}

@ObjectType({ simpleResolvers: true, description: 'A page of a session’s messages, oldest first.' })
export class MessageConnection {
  @Field(() => [MessageEdge], { description: 'The messages of the page, with their cursors.' })
  edges!: MessageEdge[];

  @Field(() => [Message], { description: 'The messages of `edges`, for callers that need no cursors.' })
  nodes!: Message[];

  @Field(() => PageInfo, { description: 'Where the page is, for fetching the next one.' })
  pageInfo!: PageInfo;
}


