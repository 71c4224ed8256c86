import { Field, ObjectType } from 'type-graphql';
import { Session } from './session';

@ObjectType({ simpleResolvers: true, description: 'Relay page information.' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field({ description: 'Always false: pages only go forward, from the newest session.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class SessionEdge {
  @Field()
  cursor!: string;

  @Field(() => Session)
  node!: Session;
}

@ObjectType({ simpleResolvers: true, description: 'A page of sessions, newest first.' })
export class SessionConnection {
  @Field(() => [SessionEdge])
  edges!: SessionEdge[];

  @Field(() => [Session], { description: 'The sessions of `edges`, for callers that need no cursors.' })
  nodes!: Session[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
