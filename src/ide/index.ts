/** The GraphQL IDE served at `GET /graphql` (GraphiQL, entirely from this gateway: it works offline). */
export { IDE_ASSET_PREFIX, ideAssetsRouter, loadIdeAssets, type IdeAssets } from './assets';
export { demoIdeOptions } from './demo';
export { IDE_CONTENT_SECURITY_POLICY, IDE_PAGE_TITLE, renderIdePage, type IdeOptions, type IdePageOptions } from './page';
export { ideLandingPagePlugin } from './plugin';
