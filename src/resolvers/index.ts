import { SessionResolver } from './session.resolver';
import { AppSharingResolver, SessionSharingResolver, SharingConfigResolver } from './sharing-config.resolver';
import { IconResolver } from './icon.resolver';
import { ViewerResolver } from './viewer.resolver';
import { NodeResolver } from './node.resolver';
import { MessageResolver, SessionMessagesResolver } from './message.resolver';
import { LiveResolver } from './live.resolver';

export const resolvers = [
  SessionResolver,
  SharingConfigResolver,
  SessionSharingResolver,
  AppSharingResolver,
  IconResolver,
  ViewerResolver,
  NodeResolver,
  SessionMessagesResolver,
  MessageResolver,
  LiveResolver,
] as const;
