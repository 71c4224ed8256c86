/** Small value types shared by several documents. */
import { Field, ObjectType } from 'type-graphql';
import { SharingMode } from '../enums';

@ObjectType({ simpleResolvers: true, description: 'An uploaded image.' })
export class Icon {
  @Field(() => String, { nullable: true, description: 'The asset id (stored as an ObjectId or a string).' })
  id?: unknown;

  @Field(() => String, { nullable: true })
  filename?: string;

  @Field(() => String, { nullable: true, description: 'The id of the document the icon belongs to.' })
  linkedId?: unknown;
}

@ObjectType({ simpleResolvers: true, description: 'One entry of a sharing permission map: an account, team or org id and its value.' })
export class PermissionEntry {
  @Field({ description: 'An account, team or org id (hex).' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'The stored permission value, as text.' })
  value?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'Who a session or app is shared with.' })
export class SharingConfig {
  @Field(() => SharingMode, { nullable: true, description: 'Null when no mode is stored.' })
  mode?: SharingMode;

  // Resolved from the stored map by SharingConfigResolver.
  @Field(() => [PermissionEntry])
  permissions!: PermissionEntry[];
}

@ObjectType({ simpleResolvers: true, description: 'A name and value pair.' })
export class NamedValue {
  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  value?: string | null;
}
