import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { Node } from './node';
import type { ObjectId } from 'mongodb';
import { DateTimeScalar } from '../scalars/date-time';
import { ObjectIdScalar } from '../scalars/object-id';
import { Model } from './model';

@ObjectType({ simpleResolvers: true, description: 'Record counts of a datasource’s last sync.' })
export class RecordCount {
  @Field(() => Int, { nullable: true, description: 'Records read.' })
  total?: number;

  @Field(() => Int, { nullable: true, description: 'Records embedded and stored.' })
  success?: number;

  @Field(() => Int, { nullable: true, description: 'Records that failed.' })
  failure?: number;
}

@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A synced data source used by RAG tools. Its connection settings are never exposed.' })
export class Datasource extends Node {
  @Field(() => ObjectIdScalar, { description: 'The datasource’s MongoDB id.' })
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The datasource’s name.' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'What the datasource holds.' })
  description?: string;

  @Field(() => String, { nullable: true, description: 'The name of the uploaded file or source.' })
  originalName?: string;

  @Field(() => String, { nullable: true, description: 'The kind of source, e.g. file or a connector.' })
  sourceType?: string;

  @Field(() => String, { nullable: true, description: 'The sync state.' })
  status?: string;

  @Field(() => RecordCount, { nullable: true, description: 'How many records the last sync read, and how many of them succeeded or failed.' })
  recordCount?: RecordCount;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the datasource was created.' })
  createdDate?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the datasource was last synced.' })
  lastSyncedDate?: Date;

  @Field(() => Model, { nullable: true, description: 'The embedding model.' })
  model?: Model;
}
