import { FieldResolver, Resolver, Root } from 'type-graphql';
import { Icon } from '../schema/types/common';

@Resolver(() => Icon)
export class IconResolver {
  @FieldResolver(() => String, { nullable: true })
  assetId(@Root() icon: { id?: unknown }): string | null {
    return icon.id == null ? null : String(icon.id);
  }
}
