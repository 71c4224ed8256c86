/**
 * The Apollo Server plugin that makes `GET /graphql` from a browser (Accept: text/html) answer with
 * the gateway's own GraphiQL page. It is the one `renderLandingPage` plugin (Apollo allows one): it
 * replaces Apollo's default landing page, which loads Apollo Sandbox from a CDN.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { loadIdeAssets } from './assets';
import { renderIdePage, type IdePageOptions } from './page';

export function ideLandingPagePlugin<TContext extends BaseContext>(options: IdePageOptions): ApolloServerPlugin<TContext> {
  return {
    async serverWillStart() {
      const html = renderIdePage(loadIdeAssets(), options);
      return {
        async renderLandingPage() {
          return { html };
        },
      };
    },
  };
}
