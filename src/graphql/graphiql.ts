/**
 * GraphiQL without the internet. Yoga's default GraphiQL page loads its scripts, styles and
 * editor workers from a public CDN, so it stays at "Loading…" on a machine without internet.
 * `@graphql-yoga/render-graphiql` bundles the same GraphiQL build; its own renderer inlines all of
 * it (about 9 MB) into every page. This renderer writes a small page that loads the bundle's
 * pieces from our own server instead (src/http/dashboard/ serves {@link graphiqlAssets} under
 * {@link GRAPHIQL_ASSET_PATH}), so a browser fetches them once, compressed, and revalidates them
 * with an ETag afterwards.
 */
import type { GraphiQLOptions } from 'graphql-yoga';

/** Where the GraphiQL bundle's files are served. */
export const GRAPHIQL_ASSET_PATH = '/assets/graphiql';

/** One file of the GraphiQL bundle. */
export interface GraphiqlAsset {
  readonly contentType: string;
  readonly body: string | Buffer;
}

const WORKERS = {
  editorWorkerService: 'editor.worker.js',
  json: 'json.worker.js',
  graphql: 'graphql.worker.js',
} as const;

/** JSON for an inline script: `<` escaped, so no value can close the script element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The GraphiQL page (yoga's `renderGraphiQL` option): every file it loads is ours. */
export function renderOfflineGraphiQL(options: GraphiQLOptions): string {
  const workerUrls = Object.fromEntries(
    Object.entries(WORKERS).map(([label, file]) => [label, `${GRAPHIQL_ASSET_PATH}/${file}`]),
  );
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${GRAPHIQL_ASSET_PATH}/favicon.ico" />
    <link rel="stylesheet" href="${GRAPHIQL_ASSET_PATH}/graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script>
      const workerUrls = ${scriptJson(workerUrls)};
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workerUrls[label] };
    </script>
    <script src="${GRAPHIQL_ASSET_PATH}/graphiql.js"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
}

/**
 * The bundle's files by name (loaded on first use: the bundle is a 9 MB module, not worth
 * parsing at start-up when nobody opens GraphiQL).
 */
export async function graphiqlAssets(): Promise<ReadonlyMap<string, GraphiqlAsset>> {
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const js = 'text/javascript; charset=utf-8';
  const favicon = /^data:([^;,]+);base64,(.*)$/s.exec(bundle.favicon);
  return new Map<string, GraphiqlAsset>([
    ['graphiql.js', { contentType: js, body: bundle.js }],
    ['graphiql.css', { contentType: 'text/css; charset=utf-8', body: bundle.css }],
    [WORKERS.editorWorkerService, { contentType: js, body: bundle.editorWorkerService }],
    [WORKERS.json, { contentType: js, body: bundle.jsonWorker }],
    [WORKERS.graphql, { contentType: js, body: bundle.graphqlWorker }],
    ...(favicon
      ? ([['favicon.ico', { contentType: favicon[1]!, body: Buffer.from(favicon[2]!, 'base64') }]] as const)
      : []),
  ]);
}
