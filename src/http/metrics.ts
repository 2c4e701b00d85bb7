/**
 * Prometheus metrics (GET /metrics): ingest counts and rejections by code, open subscribers,
 * listeners of the tree's event topics, the store writer's backlog, HTTP request latency, trades
 * applied and unknown sale-condition codes of symbols built from trades, plus Node's default
 * process metrics.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { GraphqlMetrics } from '../graphql/context.ts';

/** Live figures the metrics read when scraped. */
export interface MetricSources {
  /** Open GraphQL subscriber streams. */
  readonly subscribers?: () => number;
  /** Changes waiting in the write-behind writer. */
  readonly writerBacklog?: () => number;
  /** The tree's trade counters (symbols built from trades). */
  readonly trades?: () => { readonly applied: number; readonly unknownConditionCodes: number };
  /** Listeners of the tree's event topics, by topic. */
  readonly eventListeners?: () => Readonly<Record<string, number>>;
  /** The live feed's figures (FEED=alpaca | polygon), when one runs. */
  readonly feed?: () => FeedFigures;
}

/** What a live feed reports to /metrics (names and counts only: never a key). */
export interface FeedFigures {
  readonly feed: string;
  readonly up: boolean;
  /** Items delivered by kind (bars_streamed, bars_updated, bars_backfill, trades, quotes, …). */
  readonly received: Readonly<Record<string, number>>;
  /** Items the tree accepted, by kind. */
  readonly accepted: Readonly<Record<string, number>>;
  /** Items refused, by rejection code. */
  readonly rejected: Readonly<Record<string, number>>;
  readonly outages: number;
  readonly problems: number;
}

/** The service's metrics. */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** What the GraphQL resolvers feed. */
  readonly graphql: GraphqlMetrics;
  /** Records one HTTP request. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** Sets (or replaces) where live gauges read from. */
  setSources(sources: MetricSources): void;
}

/** Creates the metrics on their own registry (so tests and several apps do not collide). */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  let sources: MetricSources = {};
  const items = new Counter({
    name: 'session_ingest_items_total',
    help: 'Items received by the ingest mutations, by kind (bars, quotes, ticks) and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'session_ingest_rejections_total',
    help: 'Refused ingest items by kind and rejection code.',
    labelNames: ['kind', 'code'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'session_graphql_subscribers',
    help: 'Open GraphQL subscriber streams (WebSocket and SSE).',
    registers: [registry],
    collect() {
      this.set(sources.subscribers?.() ?? 0);
    },
  });
  new Gauge({
    name: 'session_writer_backlog',
    help: 'Changes accepted but not yet written to PostgreSQL.',
    registers: [registry],
    collect() {
      this.set(sources.writerBacklog?.() ?? 0);
    },
  });
  const counted = { applied: 0, unknown: 0 };
  new Counter({
    name: 'session_trades_applied_total',
    help: 'Trade messages (prints, corrections, cancels) applied to symbols built from trades.',
    registers: [registry],
    collect() {
      const now = sources.trades?.().applied ?? 0;
      if (now > counted.applied) this.inc(now - counted.applied);
      counted.applied = now;
    },
  });
  new Counter({
    name: 'session_trade_unknown_conditions_total',
    help: 'Sale-condition codes not in the rule table, on applied trades (they restrict nothing).',
    registers: [registry],
    collect() {
      const now = sources.trades?.().unknownConditionCodes ?? 0;
      if (now > counted.unknown) this.inc(now - counted.unknown);
      counted.unknown = now;
    },
  });
  new Gauge({
    name: 'session_event_listeners',
    help: "Listeners of the session tree's event topics (the store writer's, plus one per subscribed topic).",
    labelNames: ['topic'] as const,
    registers: [registry],
    collect() {
      for (const [topic, count] of Object.entries(sources.eventListeners?.() ?? {}))
        this.set({ topic }, count);
    },
  });
  const feedValue = <K extends keyof FeedFigures>(key: K) => sources.feed?.()[key];
  new Gauge({
    name: 'session_feed_up',
    help: 'Whether the live feed is connected (1) or not (0).',
    labelNames: ['feed'] as const,
    registers: [registry],
    collect() {
      const figures = sources.feed?.();
      if (figures) this.set({ feed: figures.feed }, figures.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'session_feed_items',
    help: 'Items the live feed delivered (received) and the tree accepted, by kind, since start.',
    labelNames: ['feed', 'kind', 'outcome'] as const,
    registers: [registry],
    collect() {
      const figures = sources.feed?.();
      if (!figures) return;
      for (const [kind, n] of Object.entries(figures.received))
        this.set({ feed: figures.feed, kind, outcome: 'received' }, n);
      for (const [kind, n] of Object.entries(figures.accepted))
        this.set({ feed: figures.feed, kind, outcome: 'accepted' }, n);
    },
  });
  new Gauge({
    name: 'session_feed_rejections',
    help: 'Items of the live feed the tree refused, by rejection code, since start.',
    labelNames: ['feed', 'code'] as const,
    registers: [registry],
    collect() {
      const figures = sources.feed?.();
      if (!figures) return;
      for (const [code, n] of Object.entries(figures.rejected)) this.set({ feed: figures.feed, code }, n);
    },
  });
  new Gauge({
    name: 'session_feed_outages',
    help: 'Outages of the live feed recorded since start.',
    labelNames: ['feed'] as const,
    registers: [registry],
    collect() {
      const name = feedValue('feed');
      if (name !== undefined) this.set({ feed: name }, feedValue('outages') ?? 0);
    },
  });
  new Gauge({
    name: 'session_feed_problems',
    help: 'Problems the live feed reported (malformed messages, refused subscriptions), since start.',
    labelNames: ['feed'] as const,
    registers: [registry],
    collect() {
      const name = feedValue('feed');
      if (name !== undefined) this.set({ feed: name }, feedValue('problems') ?? 0);
    },
  });
  const latency = new Histogram({
    name: 'session_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status (streams: time to the response head).',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    registry,
    graphql: {
      ingested(kind, accepted, rejectedCodes) {
        items.inc({ kind, outcome: 'accepted' }, accepted);
        if (rejectedCodes.length > 0) items.inc({ kind, outcome: 'rejected' }, rejectedCodes.length);
        for (const code of rejectedCodes) rejections.inc({ kind, code });
      },
    },
    observeRequest(route, method, status, seconds) {
      latency.observe({ route, method, status: String(status) }, seconds);
    },
    setSources(next) {
      sources = next;
    },
  };
}
