/**
 * The dashboard's and GraphiQL's files over a real port: everything either page loads is ours
 * (no other host is named in a page, a style sheet, an import map or a module import), every file
 * they name answers, with a content type, an ETag (304 on revalidation) and gzip when accepted,
 * and the dashboard's Content-Security-Policy allows this server only.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpService, listen } from '../../src/http/listen.ts';
import { createTestApi, type TestApi, useAppDatabase } from '../helpers/app.ts';

const database = useAppDatabase();
let api: TestApi;
let http: HttpService;

beforeAll(async () => {
  api = await createTestApi({ database: database(), spy: false });
  http = await listen({ yoga: api.yoga, session: api.session, host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await http.close();
  await api.dispose();
});

/** Every URL a text names: attributes, CSS url() and @import, import maps, module imports. */
function referencedUrls(text: string): string[] {
  const patterns = [
    /\b(?:src|href|action|srcset|poster|data)\s*=\s*["']([^"']+)["']/gi,
    /url\(\s*["']?([^"')]+)["']?\s*\)/gi,
    /@import\s+["']([^"']+)["']/gi,
    /\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s*["']([^"']+)["']/gm,
  ];
  const urls = patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1]!));
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(text);
  if (importMap)
    urls.push(...Object.values((JSON.parse(importMap[1]!) as { imports: Record<string, string> }).imports));
  return urls;
}

/** The host a reference points at, or null for one relative to this server. */
function hostOf(reference: string): string | null {
  if (/^(data|blob|about|javascript):/i.test(reference)) return null;
  if (/^([a-z][a-z0-9+.-]*:)?\/\//i.test(reference)) return new URL(reference, http.url).host;
  return null;
}

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, http.url), { headers });
}

/** What a browser loads from a text: scripts, style sheets, icons, import map targets, module imports. */
function loadedUrls(url: string, type: string, text: string): string[] {
  if (type.includes('html')) {
    const tags = [...text.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(text);
    const mapped = importMap
      ? Object.values((JSON.parse(importMap[1]!) as { imports: Record<string, string> }).imports)
      : [];
    // Paths written in inline scripts (GraphiQL's editor workers).
    const inline = [...text.matchAll(/"(\/[^"\s]+\.(?:m?js|css|ico|svg))"/g)].map((m) => m[1]!);
    return [...tags, ...mapped, ...inline];
  }
  if (type.includes('css')) return [...text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map((m) => m[1]!);
  // ES modules (ours and the vendored ES builds): their relative imports. GraphiQL's bundle is a
  // classic script and imports nothing.
  if (type.includes('javascript') && !url.includes('/assets/graphiql/'))
    return [...text.matchAll(/\bfrom\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return [];
}

/** Fetches a page and, transitively, everything a browser would load for it from this server. */
async function crawl(
  path: string,
  accept = 'text/html',
): Promise<Map<string, { type: string; text: string }>> {
  const seen = new Map<string, { type: string; text: string }>();
  const queue = [new URL(path, http.url).href];
  while (queue.length > 0) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    const response = await fetch(url, { headers: { accept: seen.size === 0 ? accept : '*/*' } });
    expect(response.status, url).toBe(200);
    const type = response.headers.get('content-type') ?? '';
    const text = /text|javascript|css|svg/.test(type) ? await response.text() : '';
    seen.set(url, { type, text });
    for (const reference of loadedUrls(url, type, text)) {
      if (hostOf(reference) !== null || /^(data|blob):/.test(reference)) continue;
      queue.push(new URL(reference, url).href);
    }
  }
  return seen;
}

describe('the pages name no host but the server itself', () => {
  it.each([
    ['the dashboard', '/'],
    ['GraphiQL', '/graphql'],
  ])('%s and every file it loads', async (_name, path) => {
    const files = await crawl(path);
    expect(files.size).toBeGreaterThanOrEqual(path === '/' ? 11 : 7);
    const foreign: string[] = [];
    for (const [url, { type, text }] of files) {
      // Pages, style sheets and the dashboard's own modules: every reference. The vendored bundles
      // (minified libraries) mention documentation URLs in messages; what they import is checked.
      const own = /html|css/.test(type) || url.includes('/assets/dashboard/');
      const references = own
        ? referencedUrls(text)
        : [...text.matchAll(/\bfrom\s*["']([^"']+)["']/g)].map((m) => m[1]!);
      for (const reference of references) {
        const host = hostOf(reference);
        if (host !== null && host !== new URL(http.url).host) foreign.push(`${url}: ${reference}`);
      }
    }
    expect(foreign).toEqual([]);
  });
});

describe('the dashboard page', () => {
  it('is served at / with a policy that allows this server only, and its import map', async () => {
    const response = await get('/');
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<table id="symbols">');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]!;
    const hash = createHash('sha256').update(importMap).digest('base64');
    expect(policy).toContain(`script-src 'self' 'sha256-${hash}'`);
    for (const directive of policy.split(';').map((d) => d.trim())) {
      const sources = directive.split(/\s+/).slice(1);
      expect(
        sources.every((s) => s.startsWith("'") || s === 'data:'),
        directive,
      ).toBe(true);
    }
  });

  it('revalidates with an ETag, compresses when asked, answers HEAD without a body', async () => {
    const plain = await get('/assets/vendor/lightweight-charts.mjs');
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    const body = Buffer.from(await plain.arrayBuffer());
    expect(body.toString('utf8')).toContain('Lightweight Charts');
    const etag = plain.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get('/assets/vendor/lightweight-charts.mjs', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');

    const raw = await new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
      import('node:http').then(({ get: httpGet }) =>
        httpGet(
          `${http.url}/assets/vendor/lightweight-charts.mjs`,
          { headers: { 'accept-encoding': 'gzip' } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }),
            );
          },
        ).on('error', reject),
      );
    });
    expect(raw.encoding).toBe('gzip');
    expect(raw.bytes.byteLength).toBeLessThan(body.byteLength / 2);
    expect(gunzipSync(raw.bytes).equals(body)).toBe(true);

    const head = await fetch(`${http.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses other methods and unknown files with a JSON error', async () => {
    const post = await fetch(`${http.url}/`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const missing = await get('/assets/dashboard/nope.js');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'NOT_FOUND', message: '/assets/dashboard/nope.js is not a file of the dashboard' },
    });
    expect((await get('/assets/dashboard/tsconfig.json')).status).toBe(404);
    expect((await get('/assets/dashboard/../../../package.json')).status).not.toBe(200);
    expect((await get('/assets/vendor/graphql-ws/server.js')).status).toBe(404);
  });
});

describe('GraphiQL', () => {
  it('is a small page that loads its bundle from this server', async () => {
    const response = await get('/graphql', { accept: 'text/html' });
    const html = await response.text();
    expect(html.length).toBeLessThan(10_000);
    expect(html).toContain('<script src="/assets/graphiql/graphiql.js"></script>');
    expect(html).toContain('query Session');
    for (const file of [
      'graphiql.js',
      'graphiql.css',
      'editor.worker.js',
      'json.worker.js',
      'graphql.worker.js',
      'favicon.ico',
    ]) {
      const asset = await get(`/assets/graphiql/${file}`);
      expect(asset.status, file).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, file).toBeGreaterThan(1_000);
    }
  });
});
