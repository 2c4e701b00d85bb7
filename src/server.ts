/**
 * `npm start`: reads the configuration (environment, mirrored by flags), builds the app
 * (src/app.ts), serves it on HOST:PORT — the dashboard on /, GraphQL over HTTP, SSE and WebSocket
 * on /graphql, plus /export, /export/bars.csv, /export/gaps.csv, /health, /ready and /metrics —
 * and on SIGINT or SIGTERM closes the server, ends every subscription, flushes pending writes and
 * closes the database. Logs are readable lines on a terminal, JSON otherwise (src/lib/logger.ts). When ADMIN_TOKEN is unset a token is generated and printed.
 */
import { randomBytes } from 'node:crypto';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { listen } from './http/listen.ts';
import { createLogger, logFormat } from './lib/logger.ts';

const config = loadConfig(process.env, process.argv.slice(2));
const logger = createLogger(config.logLevel, logFormat(config.logFormat, process.stdout.isTTY === true));
const generatedToken = config.adminToken === undefined;
const adminToken = config.adminToken ?? randomBytes(24).toString('base64url');

const app = await createApp({ ...config, adminToken, logger });
const http = await listen({
  yoga: app.yoga,
  session: app.session,
  host: config.host,
  port: config.port,
  metrics: app.metrics,
  ready: () => app.ready(),
  readyDetails: () => app.readyDetails(),
  onError: (error) => logger.error({ err: error }, 'request failed'),
});

const graphqlUrl = `${http.url}/graphql`;
const demo = app.demo
  ? `  demo: replaying ${app.session.activeSymbols().join(', ')} of ${app.session.date} from the store, one 1m bar per second (it loops)\n`
  : '';
// Give the feed a moment to connect, so the banner can say whether it did.
if (
  app.liveFeed &&
  app.liveFeed.feed.state !== 'UP' &&
  app.liveFeed.controller.status().waitingFor === null
) {
  await app.liveFeed.controller.nextStatus(5_000);
}
const feed = app.liveFeed ? `  feed: ${app.liveFeed.describe()}\n` : '';
const clock = config.clock
  ? `  clock: rehearsal (CLOCK_START) from ${new Date(config.clock.start).toISOString()} at ${config.clock.speed}× the wall clock\n`
  : '';
console.log(`
Dashboard (open in a browser): ${http.url}/
  Session data service listening on ${http.url}
  GraphiQL: ${graphqlUrl}
  admin token${generatedToken ? ' (generated; set ADMIN_TOKEN to choose one)' : ''}: ${adminToken}
${demo}${feed}${clock}
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
