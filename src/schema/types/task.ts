import { Directive, Field, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { DateTimeScalar } from '../scalars/date-time';
import { JSONScalar } from '../scalars/json';
import { ObjectIdScalar } from '../scalars/object-id';
import { Icon } from './common';

@Directive('@key(fields: "_id")')
@ObjectType({ simpleResolvers: true, description: 'A step of a crew, done by an agent.' })
export class Task {
  @Field(() => ObjectIdScalar)
  _id!: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => String, { nullable: true })
  expectedOutput?: string;

  @Field(() => Boolean, { nullable: true })
  asyncExecution?: boolean;

  @Field(() => Boolean, { nullable: true })
  requiresHumanInput?: boolean;

  @Field(() => Boolean, { nullable: true })
  displayOnlyFinalOutput?: boolean;

  @Field(() => Boolean, { nullable: true })
  storeTaskOutput?: boolean;

  @Field(() => String, { nullable: true })
  taskOutputFileName?: string;

  @Field(() => Icon, { nullable: true })
  icon?: Icon;

  @Field(() => JSONScalar, { nullable: true, description: 'Human input form fields, as stored.' })
  formFields?: unknown;

  @Field(() => Boolean, { nullable: true })
  isStructuredOutput?: boolean;

  @Field(() => String, { nullable: true })
  taskOutputVariableName?: string;

  @Field(() => DateTimeScalar, { nullable: true })
  dateCreated?: Date;
}
