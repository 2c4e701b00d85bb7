// @ts-check
/**
 * The dashboard page: the session header, the symbols table and the chart, kept live by the
 * service's own subscriptions:
 *
 * - `sessionEvents`: a session started or ended, a symbol loaded or removed → everything is read
 *   again;
 * - `barUpdates` of every symbol (only `symbol` selected) → the header and table are read again,
 *   at most every {@link REFRESH_MS};
 * - `barUpdates` of the shown symbol and interval → each bar is drawn as it comes.
 *
 * After a lost connection comes back everything is read again (events may have been missed). The
 * chosen symbol and interval live in the URL (`/?symbol=SPY&interval=5m`).
 */
import { connect, query } from './api.js';
import { BarChart } from './chart.js';
import { element } from './dom.js';
import { formatGapLabel, intervalMs, nyTime, zoneAbbreviation } from './format.js';
import { SessionHeader } from './header.js';
import { ANY_BAR, BARS, CHART_BARS, SESSION_EVENTS, SUMMARY } from './queries.js';
import { SymbolsTable } from './table.js';

/** Longest wait between a bar event and the table showing it. */
const REFRESH_MS = 400;
/** Gaps listed under the chart (the bands show them all). */
const LISTED_GAPS = 12;

/**
 * @typedef {import('./queries.js').SessionData} SessionData
 * @typedef {import('./queries.js').SymbolData} SymbolData
 * @typedef {import('./queries.js').GapView} GapView
 * @typedef {import('./queries.js').Bar} Bar
 */

const ui = {
  problem: element('problem'),
  chartTitle: element('chart-title'),
  symbolPicker: /** @type {HTMLSelectElement} */ (element('symbol-picker')),
  intervals: element('interval-options'),
  gapList: element('gap-list'),
  gapSummary: element('gap-summary'),
};

/** What is shown: from the URL, corrected to what the session holds. */
const view = {
  symbol: new URLSearchParams(location.search).get('symbol')?.toUpperCase() ?? '',
  interval: new URLSearchParams(location.search).get('interval') ?? '',
};

/** @type {SessionData | null} */
let session = null;
/** The chart's symbol/interval as loaded, or null. */
let charted = /** @type {{ symbol: string, interval: string } | null} */ (null);
let chartLoad = 0;
/** @type {(() => void) | null} */
let stopChartBars = null;
/** @type {Bar[] | null} chart events that came while the chart's bars were being read */
let pending = null;

const header = new SessionHeader();
const chart = new BarChart(element('chart'), element('chart-legend'));
const table = new SymbolsTable(
  /** @type {HTMLTableElement} */ (element('symbols')),
  (symbol) => choose(symbol, null),
  (symbol) => hrefOf(symbol, symbol === view.symbol ? view.interval : ''),
);

/**
 * @param {string} symbol
 * @param {string} interval
 */
function hrefOf(symbol, interval) {
  const params = new URLSearchParams({ symbol });
  if (interval) params.set('interval', interval);
  return `/?${params}`;
}

/** @param {string} message */
function showProblem(message) {
  ui.problem.textContent = message;
  ui.problem.hidden = message === '';
}

/** @param {SymbolData} data */
function intervalsOf(data) {
  return [data.baseInterval, ...data.derivedIntervals];
}

/** The shown symbol and interval, made valid for the session (first symbol, base interval). */
function settleChoice() {
  const symbols = session?.symbols ?? [];
  const data = symbols.find((s) => s.symbol === view.symbol) ?? symbols[0];
  if (!data) return null;
  view.symbol = data.symbol;
  if (!intervalsOf(data).includes(view.interval)) view.interval = data.baseInterval;
  return data;
}

/** Writes the URL for the current choice (replacing the entry unless `push`). */
function writeUrl(push = false) {
  if (!view.symbol) return;
  const url = hrefOf(view.symbol, view.interval);
  if (url === `${location.pathname}${location.search}`) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

/** Reads the session and symbols; redraws the header, table, pickers and the chart's gaps. */
async function refresh() {
  const withChart = charted !== null;
  const data = await query(SUMMARY, {
    symbol: charted?.symbol ?? '',
    interval: charted?.interval ?? '',
    withChart,
  });
  const result =
    /** @type {{ session: SessionData, chart?: { interval: { gaps: GapView[], latestBar: Bar | null } | null } | null }} */ (
      data
    );
  session = result.session;
  if (session.time !== null) chart.settle(Date.parse(session.time));
  const symbols = session.symbols.map((s) => ({
    ...s,
    prevClose: s.historical.indicator?.valid ? s.historical.indicator.value : null,
  }));
  settleChoice();
  table.render(symbols, view.symbol);
  header.show(session);
  renderPickers();
  const shown = result.chart?.interval;
  if (
    withChart &&
    shown &&
    pending === null &&
    charted?.symbol === view.symbol &&
    charted.interval === view.interval
  ) {
    chart.update(shown.gaps, sessionMarks());
    renderGaps(shown.gaps);
    // The latest bar as read: heals an event lost while a subscription was being (re)started.
    if (shown.latestBar) applyChartBar(shown.latestBar);
  }
}

function renderPickers() {
  const symbols = session?.symbols ?? [];
  const names = symbols.map((s) => s.symbol);
  const current = [...ui.symbolPicker.options].map((o) => o.value);
  if (names.join() !== current.join()) {
    ui.symbolPicker.replaceChildren(...names.map((name) => new Option(name, name)));
  }
  ui.symbolPicker.value = view.symbol;
  ui.symbolPicker.disabled = names.length === 0;
  const data = symbols.find((s) => s.symbol === view.symbol);
  const intervals = data ? intervalsOf(data) : [];
  const shown = [...ui.intervals.querySelectorAll('input')].map((input) => input.value);
  if (intervals.join() !== shown.join()) {
    ui.intervals.replaceChildren(
      ...intervals.map((name) => {
        const label = document.createElement('label');
        const input = document.createElement('input');
        input.type = 'radio';
        input.name = 'interval';
        input.value = name;
        input.addEventListener('change', () => choose(null, name));
        const text = document.createElement('span');
        text.textContent = name;
        label.append(input, text);
        return label;
      }),
    );
  }
  for (const input of ui.intervals.querySelectorAll('input')) input.checked = input.value === view.interval;
}

/** The session's regular open and close, as lines on an intraday chart. */
function sessionMarks() {
  const day = session?.tradingDay;
  if (!day?.regularOpen || !day.regularClose || intervalMs(view.interval) >= 86_400_000) return [];
  const open = Date.parse(day.regularOpen);
  const close = Date.parse(day.regularClose);
  return [
    { at: open, label: `Open ${nyTime(open)} ${zoneAbbreviation(open)}` },
    { at: close, label: `Close ${nyTime(close)} ${zoneAbbreviation(close)}` },
  ];
}

/** @param {GapView[]} gaps */
function renderGaps(gaps) {
  ui.gapSummary.textContent =
    gaps.length === 0
      ? `No gaps in ${view.symbol} ${view.interval}.`
      : `${gaps.length} gap${gaps.length === 1 ? '' : 's'} in ${view.symbol} ${view.interval} (shaded on the chart):`;
  const listed = gaps.slice(-LISTED_GAPS).map((gap) => {
    const li = document.createElement('li');
    li.textContent = formatGapLabel(gap);
    return li;
  });
  if (gaps.length > LISTED_GAPS) {
    const more = document.createElement('li');
    more.className = 'more';
    more.textContent = `and ${gaps.length - LISTED_GAPS} earlier`;
    listed.unshift(more);
  }
  ui.gapList.replaceChildren(...listed);
}

/**
 * Bar order for a bar's versions: a version with a higher revision, a completed window, or more
 * base bars is newer. A chart event older than what the chart holds (it crossed the bars' read
 * on the way) is ignored.
 * @param {Bar} bar
 */
function versionOf(bar) {
  return [bar.revision, bar.complete ? 1 : 0, bar.baseBars];
}

/** @param {Bar} bar */
function applyChartBar(bar) {
  const held = /** @type {Bar | undefined} */ (chart.bars.get(Date.parse(bar.ts)));
  if (held) {
    const [a, b] = [versionOf(bar), versionOf(held)];
    const older = a.findIndex((v, i) => v !== b[i]);
    if (older >= 0 && (a[older] ?? 0) < (b[older] ?? 0)) return;
  }
  chart.applyBar(bar);
}

/**
 * Reads the shown symbol's interval from scratch and follows its bar events (the subscription is
 * kept while the choice stays; events that come during the read are applied after it).
 */
async function loadChart() {
  const target = { symbol: view.symbol, interval: view.interval };
  const load = ++chartLoad;
  pending = [];
  if (charted?.symbol !== target.symbol || charted.interval !== target.interval || !stopChartBars) {
    stopChartBars?.();
    stopChartBars = live.subscribe(
      CHART_BARS,
      { symbols: [target.symbol], intervals: [target.interval] },
      (/** @type {{ barUpdates: { bar: Bar } }} */ data) => {
        if (pending) pending.push(data.barUpdates.bar);
        else applyChartBar(data.barUpdates.bar);
      },
      () => void reload(),
    );
  }
  charted = target;
  ui.chartTitle.textContent = `${target.symbol} · ${target.interval}`;
  /** @type {{ symbol: { interval: { gaps: GapView[], bars: { nodes: Bar[] } } | null } | null }} */
  let data;
  try {
    data = await query(BARS, target);
  } catch (error) {
    if (load === chartLoad) pending = null;
    throw error;
  }
  if (load !== chartLoad) return;
  const interval = data.symbol?.interval;
  chart.show({
    symbol: target.symbol,
    interval: target.interval,
    intervalMs: intervalMs(target.interval),
    bars: interval?.bars.nodes ?? [],
    gaps: interval?.gaps ?? [],
    marks: sessionMarks(),
    gapLabel: formatGapLabel,
  });
  renderGaps(interval?.gaps ?? []);
  const waiting = pending ?? [];
  pending = null;
  for (const bar of waiting) applyChartBar(bar);
  document.body.dataset['chart'] = `${target.symbol} ${target.interval}`;
}

/** Reads everything again: the summary, then the chart when its choice changed or `force`. */
async function reload(force = true) {
  try {
    await refresh();
    if (!view.symbol) {
      charted = null;
      stopChartBars?.();
      stopChartBars = null;
      ui.chartTitle.textContent = 'No symbol';
      return;
    }
    writeUrl();
    if (force || charted?.symbol !== view.symbol || charted?.interval !== view.interval) await loadChart();
    showProblem('');
  } catch (error) {
    showProblem(`Could not read the session: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Shows another symbol or interval (null keeps the current one).
 * @param {string | null} symbol
 * @param {string | null} interval
 */
function choose(symbol, interval) {
  if (symbol !== null) view.symbol = symbol;
  if (interval !== null) view.interval = interval;
  settleChoice();
  writeUrl(true);
  renderPickers();
  if (session) table.render(table.rows, view.symbol);
  void reload(false);
}

let refreshTimer = /** @type {ReturnType<typeof setTimeout> | null} */ (null);
let refreshing = false;
let refreshAgain = false;
/** A bar event somewhere: refresh the header and table soon (coalescing bursts). */
function scheduleRefresh() {
  if (refreshTimer !== null) return;
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshTimer = setTimeout(async () => {
    refreshTimer = null;
    refreshing = true;
    try {
      await refresh();
      showProblem('');
    } catch (error) {
      showProblem(`Could not read the session: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      refreshing = false;
      if (refreshAgain) {
        refreshAgain = false;
        scheduleRefresh();
      }
    }
  }, REFRESH_MS);
}

const live = connect((state, reconnected) => {
  header.showConnection(state);
  if (state === 'connected' && (reconnected || session === null)) void reload();
});
live.subscribe(ANY_BAR, {}, scheduleRefresh, () => void reload());
live.subscribe(
  SESSION_EVENTS,
  {},
  () => void reload(),
  () => void reload(),
);

ui.symbolPicker.addEventListener('change', () => choose(ui.symbolPicker.value, null));
window.addEventListener('popstate', () => {
  const params = new URLSearchParams(location.search);
  view.symbol = params.get('symbol')?.toUpperCase() ?? view.symbol;
  view.interval = params.get('interval') ?? view.interval;
  void reload(false);
});

/** For the browser console and the browser tests: the chart and its drawn gap bands. */
Object.assign(window, { dashboard: { chart, view } });
