/**
 * The live dashboard (`GET /`) and every file a browser loads from us:
 *
 * | path | what |
 * |---|---|
 * | `/` | the dashboard page (`assets/index.html`) |
 * | `/assets/dashboard/*` | its scripts, style sheet and icon (this folder's `assets/`) |
 * | `/assets/vendor/lightweight-charts.mjs` | TradingView's Lightweight Charts, its standalone ES module build from node_modules |
 * | `/assets/vendor/graphql-ws/*` | the graphql-ws browser client (its ES module build from node_modules) |
 * | `/assets/graphiql/*` | GraphiQL's bundle (src/graphql/graphiql.ts writes the page that loads it) |
 *
 * Nothing is built: the page is plain ES modules, resolved by an import map, so a fresh clone
 * serves it with `npm install && npm start` and no network. The page's Content-Security-Policy
 * allows only this server (`'self'`), so a browser refuses anything from another host.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRAPHIQL_ASSET_PATH, graphiqlAssets } from '../../graphql/graphiql.ts';
import { type FileBody, StaticFiles } from './static-files.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const ASSET_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

async function fileBody(path: string): Promise<FileBody> {
  return {
    contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    body: await readFile(path),
  };
}

/** The files of a folder that a browser may load (by extension; no sub-folders, no tsconfig). */
async function folder(
  dir: string,
  names: (name: string) => boolean = () => true,
): Promise<Map<string, FileBody>> {
  const files = new Map<string, FileBody>();
  for (const name of await readdir(dir)) {
    if (extname(name) in CONTENT_TYPES && names(name)) files.set(name, await fileBody(join(dir, name)));
  }
  return files;
}

/** The page's policy: scripts, styles, images and connections from this server only. */
function contentSecurityPolicy(html: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const hash = createHash('sha256').update(importMap).digest('base64');
  return [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

async function page(): Promise<ReadonlyMap<string, FileBody>> {
  const html = await readFile(join(ASSET_DIR, 'index.html'), 'utf8');
  return new Map([
    [
      '',
      {
        contentType: CONTENT_TYPES['.html']!,
        body: html,
        headers: { 'content-security-policy': contentSecurityPolicy(html) },
      },
    ],
  ]);
}

async function vendor(): Promise<ReadonlyMap<string, FileBody>> {
  const charts = dirname(fileURLToPath(import.meta.resolve('lightweight-charts')));
  const graphqlWs = dirname(fileURLToPath(import.meta.resolve('graphql-ws/client')));
  const files = new Map<string, FileBody>([
    ['lightweight-charts.mjs', await fileBody(join(charts, 'lightweight-charts.standalone.production.mjs'))],
  ]);
  const client = await folder(graphqlWs, (name) => name === 'client.js' || /^common-[\w-]+\.js$/.test(name));
  for (const [name, file] of client) files.set(`graphql-ws/${name}`, file);
  return files;
}

const files = new StaticFiles([
  { prefix: '/', load: page },
  { prefix: '/assets/dashboard/', load: () => folder(ASSET_DIR) },
  { prefix: '/assets/vendor/', load: vendor },
  { prefix: `${GRAPHIQL_ASSET_PATH}/`, load: graphiqlAssets },
]);

/** Whether a path is one of the dashboard's (for the request metrics). */
export function isDashboardPath(path: string): boolean {
  return path === '/' || path.startsWith('/assets/');
}

/** Answers a dashboard path (GET or HEAD); false when the request is not one of its files. */
export function serveDashboard(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  return files.serve(req, res, path);
}
