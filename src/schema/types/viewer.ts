import { Field, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { ObjectIdScalar } from '../scalars/object-id';

@ObjectType({ simpleResolvers: true, description: 'A team the calling account is a member of.' })
export class ViewerTeam {
  @Field(() => ObjectIdScalar, { description: 'The team’s id (its `resourceSlug` in the REST routes).' })
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The team’s name, as the account lists it.' })
  name?: string;
}

@ObjectType({ simpleResolvers: true, description: 'An org the calling account is a member of.' })
export class ViewerOrg {
  @Field(() => ObjectIdScalar, { description: 'The org’s id.' })
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The org’s name, as the account lists it.' })
  name?: string;

  @Field(() => [ViewerTeam], { description: 'The org’s teams the account is a member of.' })
  teams!: ViewerTeam[];
}

@ObjectType({ simpleResolvers: true, description: 'The calling account. No password hash, token or other secret is exposed.' })
export class Viewer {
  @Field(() => ObjectIdScalar, { description: 'The account’s id.' })
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The account’s name.' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'The account’s email address.' })
  email?: string;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'The org the account last worked in.' })
  currentOrg?: ObjectId;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'The team the account last worked in.' })
  currentTeam?: ObjectId;

  @Field(() => [ViewerOrg], { description: 'The orgs and teams the account is a member of.' })
  orgs!: ViewerOrg[];

  @Field({ description: 'Whether the account has the ROOT permission.' })
  isRoot!: boolean;

  @Field({ description: 'Whether the caller authenticated with an API key rather than a login token.' })
  usesApiKey!: boolean;
}
