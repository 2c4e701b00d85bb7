/**
 * `npm run bench`: runs every benchmark in turn and prints its figures; the last line sums them up:
 * `ingest-1m: … ; ingest-1s: … ; persist: … ; history-20x5d: … ; query-live: … ; fanout-1000: … ; trades: … ; feed: … ; cluster: … ; durable: … ; history-100: …, history-1000: …` (cluster: when nats-server and PostgreSQL exist, its bars/s is ingestBarRows', its fan-out 3,000 subscribers over 3 replicas; history-100/1000: ours ÷ baseline req/s of
 * bench/history.ts, when PostgreSQL exists).
 * Benchmarks never run as tests: these machines are shared and noisy.
 */
import { benchCluster } from './cluster.ts';
import { benchDurable, describeDurable } from './durable.ts';
import { benchFeed } from './feed.ts';
import { benchGraphql } from './graphql.ts';
import { benchHistory } from './history.ts';
import { benchIngest } from './ingest.ts';
import { benchPersist } from './persist.ts';
import { benchTrades } from './trades.ts';

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const ingest = benchIngest();
console.log(
  `ingest: a 1s feed updating every bar three times while it forms (1m/5m/1h/1d derived): ${fmt(ingest.updatingBarsPerSec)} bars/s`,
);
const trades = benchTrades();
console.log(
  `trades: ${fmt(trades.trades)} trades (100 symbols, 1s base, 1m/5m/1h/1d derived): ${fmt(trades.tradesPerSec)} trades/s (${fmt(trades.tradesPerCpuSec)} per CPU-second), ${fmt(trades.bytesPerTrade, 1)} B/trade`,
);
const persist = await benchPersist();
const graphql = await benchGraphql();
const history = await benchHistory();
const feed = await benchFeed();
console.log(
  `feed: ${fmt(feed.messagesPerSec)} msgs/s decoded and applied over a WebSocket (${fmt(feed.messagesPerCpuSec)} per CPU-second; decode only: ${fmt(feed.decodeOnlyPerSec)} msgs/s)`,
);

const durable = await benchDurable();
console.log(describeDurable(durable));

const parts = [
  `ingest-1m: ${fmt(ingest.ingest1m.barsPerSec)} bars/s, ${fmt(ingest.ingest1m.bytesPerBar, 1)} B/bar`,
  `ingest-1s: ${fmt(ingest.ingest1s.barsPerSec)} bars/s, ${fmt(ingest.ingest1s.bytesPerBar, 1)} B/bar`,
  `persist: ${fmt(persist.barsPerSecond)} bars/s`,
  `history-20x5d: ${fmt(persist.historyMs, 1)} ms in ${persist.historyStatements} statements`,
  `query-live: ${fmt(graphql.live.ours.rps)} req/s p99 ${fmt(graphql.live.ours.p99, 1)} ms ratio-to-raw ${fmt(graphql.live.ratioToRaw, 2)}`,
  `fanout-1000: p99 ${fmt(graphql.fanoutP99Ms, 1)} ms lost ${graphql.fanoutLost}`,
  `trades: ${fmt(trades.tradesPerSec)} trades/s, ${fmt(trades.bytesPerTrade, 1)} B/trade`,
  `feed: ${fmt(feed.messagesPerSec)} msgs/s`,
];
const cluster = await benchCluster();
if (cluster) {
  parts.push(
    `cluster: ${fmt(cluster.barsPerSec)} bars/s, lag p99 ${fmt(cluster.lagP99Ms, 1)} ms, catch-up ${fmt(cluster.catchUpSec, 1)} s, fan-out-3000 p99 ${fmt(cluster.fanoutP99Ms, 1)} ms lost ${cluster.fanoutLost}`,
  );
}
parts.push(`durable: ${fmt(durable.durable.barsPerSec)} bars/s (${fmt(durable.ratio, 2)} of write-behind)`);
const line = parts.join('; ');
console.log(
  history === null
    ? `${line}; history-100: skipped, history-1000: skipped (no PostgreSQL)`
    : `${line}; history-100: ${fmt(history.history100, 2)}, history-1000: ${fmt(history.history1000, 2)}`,
);
