import { Field, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { ObjectIdScalar } from '../scalars/object-id';

@ObjectType({ simpleResolvers: true })
export class ViewerTeam {
  @Field(() => ObjectIdScalar)
  id!: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;
}

@ObjectType({ simpleResolvers: true })
export class ViewerOrg {
  @Field(() => ObjectIdScalar)
  id!: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => [ViewerTeam])
  teams!: ViewerTeam[];
}

@ObjectType({ simpleResolvers: true, description: 'The calling account. No password hash, token or other secret is exposed.' })
export class Viewer {
  @Field(() => ObjectIdScalar)
  _id!: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  email?: string;

  @Field(() => ObjectIdScalar, { nullable: true })
  currentOrg?: ObjectId;

  @Field(() => ObjectIdScalar, { nullable: true })
  currentTeam?: ObjectId;

  @Field(() => [ViewerOrg], { description: 'The orgs and teams the account is a member of.' })
  orgs!: ViewerOrg[];

  @Field({ description: 'Whether the account has the ROOT permission.' })
  isRoot!: boolean;

  @Field({ description: 'Whether the caller authenticated with an API key rather than a login token.' })
  usesApiKey!: boolean;
}
