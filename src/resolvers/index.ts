import { AgentResolver } from './agent.resolver';
import { AppResolver } from './app.resolver';
import { CrewResolver } from './crew.resolver';
import { SessionResolver } from './session.resolver';
import { AppSharingResolver, IconResolver, SessionSharingResolver, SharingConfigResolver } from './sharing-config.resolver';
import { TaskResolver } from './task.resolver';
import { DatasourceResolver, ToolResolver } from './tool.resolver';
import { ViewerResolver } from './viewer.resolver';
import { NodeResolver } from './node.resolver';
import { MessageResolver, SessionMessagesResolver } from './message.resolver';
import { LiveResolver } from './live.resolver';

export const resolvers = [
  SessionResolver,
  AppResolver,
  CrewResolver,
  AgentResolver,
  TaskResolver,
  ToolResolver,
  DatasourceResolver,
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
