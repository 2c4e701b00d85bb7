/**
 * `npm start`: reads the configuration (environment, mirrored by flags), builds the app
 * (src/app.ts), serves it on HOST:PORT — the dashboard on /, GraphQL over HTTP, SSE and WebSocket
 * on /graphql, plus /export, /export/bars.csv, /export/gaps.csv, /health, /ready and /metrics —
 * and on SIGINT, SIGTERM or SIGHUP (or a crash) closes the server, ends every subscription, flushes
 * every acknowledged write and closes the database (see `stop` below). Run it as
 * `node --import tsx src/server.ts` (what `npm start` does), not through the `tsx` wrapper: that
 * one relays a signal twice when the process is slow to take it. Logs are readable lines on a
 * terminal, JSON otherwise (src/lib/logger.ts). When ADMIN_TOKEN is unset a token is generated and
 * printed.
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

/** What the banner says of acknowledgements (README, "Durability"). */
function writesLine(): string {
  if (app.replica) return 'replicated (an ingest answers once its batch is in the command log)';
  if (app.service.writeMode === 'durable') return 'durable (an ingest answers once its items are committed)';
  return `write-behind (committed within ${config.writeDelayMs} ms of the answer; WRITE_MODE=durable to wait for the commit)`;
}

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
  writes: ${writesLine()}
  admin token${generatedToken ? ' (generated; set ADMIN_TOKEN to choose one)' : ''}: ${adminToken}
${demo}${feed}${clock}
Try:
  query        { session { date phase time symbols { symbol metrics { volume vwap last } intervals { name quality gapCount latestBar { ts close complete } } } } }
  subscription { barUpdates(intervals: ["1m"]) { symbol interval kind bar { ts open high low close volume } } }
  mutation     curl -s ${graphqlUrl} -H 'content-type: application/json' -H 'authorization: Bearer ${adminToken}' \\
                 -d '{"query":"mutation { loadSymbol(input: { symbol: \\"SPY\\" }) { symbol loaded } }"}'
  export       curl -s '${http.url}/export?symbols=SPY' | head -c 600
`);

/**
 * Stopping: one stop per process, whatever asks for it and how often. A signal (SIGINT, SIGTERM,
 * SIGHUP) or a crash starts it: the server stops accepting, ends subscriptions and connections,
 * then the app flushes every acknowledged write and closes the store. A second signal — `npm start`
 * forwards the process group's signal again, a user presses Ctrl-C twice — only closes the open
 * connections at once: the flush still runs to its end, so a stop never drops what was
 * acknowledged. Past SHUTDOWN_DEADLINE_MS (longer than the writer's own close timeout, which
 * reports what it could not write) the process exits anyway.
 */
const SHUTDOWN_DEADLINE_MS = 45_000;
let stopping: Promise<void> | null = null;
function stop(reason: string, exitCode: number): void {
  if (stopping !== null) {
    logger.warn(
      { reason },
      'already stopping: open connections close now; acknowledged writes are flushed first',
    );
    http.server.closeAllConnections();
    return;
  }
  logger.info({ reason }, 'shutting down');
  setTimeout(() => {
    logger.error({ backlog: app.writer.backlog }, 'shutdown took longer than 45 s: exiting');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  stopping = (async () => {
    let code = exitCode;
    try {
      await http.close();
    } catch (error) {
      logger.error({ err: error }, 'closing the server failed');
      code = 1;
    }
    try {
      await app.dispose();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      code = 1;
    }
    process.exit(code);
  })();
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal, 0));
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception');
  stop('uncaughtException', 1);
});
process.on('unhandledRejection', (error) => {
  logger.fatal({ err: error }, 'unhandled rejection');
  stop('unhandledRejection', 1);
});
