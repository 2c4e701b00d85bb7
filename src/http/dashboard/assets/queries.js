// @ts-check
/**
 * What the dashboard asks the service: the fields it reads and its queries and subscriptions.
 * Fields that other work adds to the schema go here, and the page shows them without further
 * change: `Session.feeds` (the header's feed status, formatFeeds) and `Gap.cause` (the gap
 * labels, formatGapLabel).
 */

/**
 * The session's header fields. Feed status: add `feeds { feed status since }` here once the schema
 * has `Session.feeds`; `formatFeeds` already shows it.
 */
export const SESSION_FIELDS = `
  date phase time clockMode active
  replay { speed paused finished }
  tradingDay { regularOpen regularClose }
  feeds { feed status since }
`;

/** Gap fields; `formatGapLabel` shows the cause. */
export const GAP_FIELDS = 'start end missingBars cause';

export const BAR_FIELDS = 'ts endTs open high low close volume complete revision baseBars';

export const SUMMARY = `query DashboardSummary($symbol: String!, $interval: String!, $withChart: Boolean!) {
  session {
    ${SESSION_FIELDS}
    symbols {
      symbol baseInterval derivedIntervals
      metrics { last volume vwap barCount lastUpdate }
      intervals { name quality gapCount missingBars }
      historical { indicator(name: "prev_close") { valid value } }
    }
  }
  chart: symbol(symbol: $symbol) @include(if: $withChart) {
    interval(name: $interval) { name gaps { ${GAP_FIELDS} } latestBar { ${BAR_FIELDS} } }
  }
}`;

export const BARS = `query DashboardBars($symbol: String!, $interval: String!) {
  symbol(symbol: $symbol) {
    interval(name: $interval) { name gaps { ${GAP_FIELDS} } bars(last: 10000) { nodes { ${BAR_FIELDS} } } }
  }
}`;

export const ANY_BAR = 'subscription DashboardAnyBar { barUpdates { symbol } }';
export const SESSION_EVENTS = 'subscription DashboardSessionEvents { sessionEvents { kind symbol } }';
export const CHART_BARS = `subscription DashboardChartBars($symbols: [String!], $intervals: [String!]) {
  barUpdates(symbols: $symbols, intervals: $intervals) { symbol interval bar { ${BAR_FIELDS} } }
}`;

/**
 * @typedef {import('./table.js').SymbolRow & { derivedIntervals: string[],
 *   historical: { indicator: { valid: boolean, value: number | null } | null } }} SymbolData
 * @typedef {{ date: string | null, phase: string, time: string | null, clockMode: string, active: boolean,
 *   replay: { speed: number, paused: boolean, finished: boolean } | null,
 *   tradingDay: { regularOpen: string | null, regularClose: string | null } | null,
 *   feeds?: import('./format.js').FeedView[], symbols: SymbolData[] }} SessionData
 * @typedef {import('./format.js').GapView} GapView
 * @typedef {import('./chart.js').BarView & { baseBars: number }} Bar
 */
