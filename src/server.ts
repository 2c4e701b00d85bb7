/**
 * `npm start`: reads the configuration (environment, mirrored by flags), builds the app
 * (src/app.ts), serves it on HOST:PORT — GraphQL over HTTP, SSE and WebSocket on /graphql, plus
 * /export, /export/bars.csv, /export/gaps.csv, /health, /ready and /metrics — and on SIGINT or
 * SIGTERM closes the server, ends every subscription, flushes pending writes and closes the
 * database. When ADMIN_TOKEN is unset a token is generated and printed.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { type AppConfig, loadConfig } from './config.ts';
import type { SessionYoga } from './graphql/yoga.ts';
import { listen } from './http/listen.ts';
import type { ServiceMetrics } from './http/metrics.ts';
import type { SessionData } from './session/session-data.ts';

/** What src/app.ts's createApp gives the server. */
interface App {
  readonly yoga: SessionYoga;
  readonly session: SessionData;
  /** Stops the replay, flushes pending writes, disposes yoga and closes the database. */
  dispose(): Promise<void>;
  /** Ingest, subscriber and writer-backlog metrics (src/http/metrics.ts), when the app keeps them. */
  readonly metrics?: ServiceMetrics;
  /** Readiness (the store answers). */
  readonly ready?: () => boolean | Promise<boolean>;
}

// Loaded by name until src/app.ts is in the tree; then this becomes a static import.
const appModule: string = './app.ts';
const { createApp } = (await import(appModule)) as { createApp: (config: AppConfig) => Promise<App> };

const config = loadConfig(process.env, process.argv.slice(2));
const logger = pino({ level: config.logLevel });
const generatedToken = config.adminToken === undefined;
const adminToken = config.adminToken ?? randomBytes(24).toString('base64url');

const app = await createApp({ ...config, adminToken });
const http = await listen({
  yoga: app.yoga,
  session: app.session,
  host: config.host,
  port: config.port,
  ...(app.metrics ? { metrics: app.metrics } : {}),
  ...(app.ready ? { ready: app.ready } : {}),
  onError: (error) => logger.error({ err: error }, 'request failed'),
});

const graphqlUrl = `${http.url}/graphql`;
console.log(`
Session data service listening on ${http.url}
  GraphiQL (open in a browser): ${graphqlUrl}
  admin token${generatedToken ? ' (generated; set ADMIN_TOKEN to choose one)' : ''}: ${adminToken}

Try:
  query        { session { date phase time symbols { symbol metrics { volume vwap last } intervals { name quality gapCount latestBar { ts close complete } } } } }
  subscription { barUpdates(intervals: ["1m"]) { symbol interval kind bar { ts open high low close volume } } }
  mutation     curl -s ${graphqlUrl} -H 'content-type: application/json' -H 'authorization: Bearer ${adminToken}' \\
                 -d '{"query":"mutation { loadSymbol(input: { symbol: \\"SPY\\" }) { symbol loaded } }"}'
  export       curl -s '${http.url}/export?symbols=SPY' | head -c 600
`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down');
  const timer = setTimeout(() => {
    logger.error('shutdown took longer than 15 s: exiting');
    process.exit(1);
  }, 15_000);
  timer.unref();
  try {
    await http.close();
    await app.dispose();
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
