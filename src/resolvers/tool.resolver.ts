import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { DatasourceDoc, ToolDoc } from '../db/documents';
import { datasourceOfTool, modelOfDatasource } from '../graph/relations';
import type { RequestContext } from '../server/request-context';
import { Datasource } from '../schema/types/datasource';
import { Model } from '../schema/types/model';
import { Tool } from '../schema/types/tool';

@Resolver(() => Tool)
export class ToolResolver {
  @FieldResolver(() => Datasource, { nullable: true, description: 'RAG tools: the datasource they retrieve from.' })
  datasource(@Root() tool: ToolDoc, @Ctx() ctx: RequestContext) {
    return datasourceOfTool(ctx.loaders, tool);
  }
}

@Resolver(() => Datasource)
export class DatasourceResolver {
  @FieldResolver(() => Model, { nullable: true, description: 'The embedding model.' })
  model(@Root() datasource: DatasourceDoc, @Ctx() ctx: RequestContext) {
    return modelOfDatasource(ctx.loaders, datasource);
  }
}
