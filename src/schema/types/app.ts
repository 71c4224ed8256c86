import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { Node } from './node';
import type { ObjectId } from 'mongodb';
import { AppType } from '../enums';
import { ObjectIdScalar } from '../scalars/object-id';
import { Icon } from './common';
import { Agent } from './agent';
import { Crew } from './crew';
import { Variable } from './variable';

@ObjectType({ simpleResolvers: true, description: 'Settings of a chat app.' })
export class ChatAppConfig {
  @Field(() => [String], { nullable: true, description: 'Suggested first messages.' })
  conversationStarters?: string[];

  @Field(() => Int, { nullable: true, description: 'Most messages a session keeps in context.' })
  maxMessages?: number;
}

@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'An app: a chat app with one agent, or a crew app.' })
export class App extends Node {
  @Field(() => ObjectIdScalar, { description: 'The app’s MongoDB id.' })
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The id of the account that created the app.' })
  createdBy?: string;

  @Field(() => String, { nullable: true, description: 'The app’s name.' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'What the app does.' })
  description?: string;

  @Field(() => [String], { nullable: true, description: 'Labels for finding the app.' })
  tags?: string[];

  @Field(() => String, { nullable: true, description: 'Who made the app.' })
  author?: string;

  @Field(() => Icon, { nullable: true, description: 'The app’s icon.' })
  icon?: Icon;

  @Field(() => AppType, { nullable: true, description: 'A chat app or a crew app.' })
  type?: AppType;

  // `sharingConfig` is resolved in sharing-config.resolver.ts, which gives it the identity of its document.

  @Field(() => Boolean, { nullable: true, description: 'Crew apps: whether the crew keeps memory.' })
  memory?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Crew apps: whether tool results are cached.' })
  cache?: boolean;

  @Field(() => ChatAppConfig, { nullable: true, description: 'Chat apps only.' })
  chatAppConfig?: ChatAppConfig;

  @Field(() => Crew, { nullable: true, description: 'Crew apps: the crew; null for chat apps or a deleted crew.' })
  crew?: Crew;

  @Field(() => Agent, { nullable: true, description: 'Chat apps: the agent; null for crew apps or a deleted agent.' })
  agent?: Agent;

  @Field(() => [Variable], { description: 'Variables asked for when the app starts.' })
  kickOffVariables?: Variable[];
}
