import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { RELATIONS } from '../data-model/relations';
import { related } from './related';
import type { RequestContext } from '../context/request-context';
import type { DatasourceDoc, ToolDoc } from '../data-model/documents';
import { Datasource } from '../schema/types/datasource';
import { Model } from '../schema/types/model';
import { Tool } from '../schema/types/tool';

@Resolver(() => Tool)
export class ToolResolver {
  @FieldResolver(() => Datasource, { nullable: true, description: 'RAG tools: the datasource they retrieve from.' })
  datasource(@Root() tool: ToolDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.datasourceOfTool, tool);
  }
}

@Resolver(() => Datasource)
export class DatasourceResolver {
  @FieldResolver(() => Model, { nullable: true, description: 'The embedding model.' })
  model(@Root() datasource: DatasourceDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.modelOfDatasource, datasource);
  }
}
