/** Small value types shared by several documents. */
import { Field, ID, ObjectType } from 'type-graphql';
import { SharingMode } from '../enums';

@ObjectType({ simpleResolvers: true, description: 'An uploaded image.' })
export class Icon {
  // not `id`: Relay and Apollo take a field named `id` for the object's identity
  @Field(() => String, { nullable: true, description: 'The id of the uploaded asset (stored as an ObjectId or a string).' })
  assetId?: unknown;

  @Field(() => String, { nullable: true, description: 'The file name of the image.' })
  filename?: string;

  @Field(() => String, { nullable: true, description: 'The id of the document the icon belongs to.' })
  linkedId?: unknown;
}

@ObjectType({
  simpleResolvers: true,
  description: 'One entry of a sharing permission map. It has no `id` field: two sessions that grant the same grantee keep their own entries in client caches.',
})
export class SharingPermission {
  @Field({ description: 'The account, team or org id (hex) the entry grants to.' })
  granteeId!: string;

  @Field(() => String, { nullable: true, description: 'The stored permission value, as text (base64 for binary values).' })
  value?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'Who a session or app is shared with.' })
export class SharingConfig {
  // Resolved by SharingConfigResolver.
  @Field(() => ID, { description: 'An identity for client caches, made from the document the settings belong to (not a node id).' })
  id!: string;

  // Resolved by SharingConfigResolver from the stored mode.
  @Field(() => SharingMode, { description: 'The mode the access policy applies: the stored one, or TEAM when it is missing or unknown.' })
  mode!: SharingMode;

  @Field(() => String, { nullable: true, description: 'The stored mode as is (null when none is stored), e.g. to show an unknown value.' })
  storedMode?: string | null;

  // Resolved from the stored map by SharingConfigResolver.
  @Field(() => [SharingPermission], { description: 'The accounts, teams and orgs the session is shared with (restricted and whitelist modes).' })
  permissions!: SharingPermission[];
}

@ObjectType({ simpleResolvers: true, description: 'A name and value pair.' })
export class NamedValue {
  @Field({ description: 'The name.' })
  name!: string;

  // as stored: the String scalar shows text, numbers and booleans as text, and refuses anything else as stored data
  @Field(() => String, { nullable: true, description: 'The value, as text.' })
  value?: unknown;
}
