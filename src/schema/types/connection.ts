import { Field, ObjectType } from 'type-graphql';
import { Session } from './session';

@ObjectType({ simpleResolvers: true, description: 'Where a page of a connection is (Relay), for sessions and messages alike.' })
export class PageInfo {
  @Field({ description: 'Whether more items follow this page.' })
  hasNextPage!: boolean;

  @Field({ description: 'Always false: pages only go forward (sessions from the newest, messages from the oldest).' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'The cursor of the first item of the page (`after` when the page is empty).' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the last item of the page: pass it as `after` to get the next page.' })
  endCursor!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A session of a page, with its cursor.' })
export class SessionEdge {
  @Field({ description: 'Pass as `after` to get the sessions after this one.' })
  cursor!: string;

  @Field(() => Session, { description: 'The session.' })
  node!: Session;
}

@ObjectType({ simpleResolvers: true, description: 'A page of sessions, newest first.' })
export class SessionConnection {
  @Field(() => [SessionEdge], { description: 'The sessions of the page, with their cursors.' })
  edges!: SessionEdge[];

  @Field(() => [Session], { description: 'The sessions of `edges`, for callers that need no cursors.' })
  nodes!: Session[];

  @Field(() => PageInfo, { description: 'Where the page is, for fetching the next one.' })
  pageInfo!: PageInfo;
}
