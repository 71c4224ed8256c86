import { Directive, Field, Int, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { AppType } from '../enums';
import { ObjectIdScalar } from '../scalars/object-id';
import { Icon, SharingConfig } from './common';

@ObjectType({ simpleResolvers: true, description: 'Settings of a chat app.' })
export class ChatAppConfig {
  @Field(() => [String], { nullable: true })
  conversationStarters?: string[];

  @Field(() => Int, { nullable: true })
  maxMessages?: number;
}

@Directive('@key(fields: "_id")')
@ObjectType({ simpleResolvers: true, description: 'An app: a chat app with one agent, or a crew app.' })
export class App {
  @Field(() => ObjectIdScalar)
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The id of the account that created the app.' })
  createdBy?: string;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => [String], { nullable: true })
  tags?: string[];

  @Field(() => String, { nullable: true })
  author?: string;

  @Field(() => Icon, { nullable: true })
  icon?: Icon;

  @Field(() => AppType, { nullable: true })
  type?: AppType;

  @Field(() => SharingConfig, { nullable: true })
  sharingConfig?: SharingConfig;

  @Field(() => Boolean, { nullable: true, description: 'Crew apps: whether the crew keeps memory.' })
  memory?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Crew apps: whether tool results are cached.' })
  cache?: boolean;

  @Field(() => ChatAppConfig, { nullable: true, description: 'Chat apps only.' })
  chatAppConfig?: ChatAppConfig;
}
