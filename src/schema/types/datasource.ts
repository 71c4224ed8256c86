import { Directive, Field, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { DateTimeScalar } from '../scalars/date-time';
import { JSONScalar } from '../scalars/json';
import { ObjectIdScalar } from '../scalars/object-id';

@Directive('@key(fields: "_id")')
@ObjectType({ simpleResolvers: true, description: 'A synced data source used by RAG tools. Its connection settings are never exposed.' })
export class Datasource {
  @Field(() => ObjectIdScalar)
  _id!: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => String, { nullable: true })
  originalName?: string;

  @Field(() => String, { nullable: true })
  sourceType?: string;

  @Field(() => String, { nullable: true })
  status?: string;

  @Field(() => JSONScalar, { nullable: true, description: 'Record counts as stored, e.g. {total, success, failure}.' })
  recordCount?: unknown;

  @Field(() => DateTimeScalar, { nullable: true })
  createdDate?: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  lastSyncedDate?: Date;
}
