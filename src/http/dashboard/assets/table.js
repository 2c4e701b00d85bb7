// @ts-check
/**
 * The symbols table: one row per symbol (last, change against the previous close, volume, VWAP,
 * bar count, and per interval its quality and gap count), sortable by any column from its header
 * button. Rows are kept and updated in place, so a live update neither flickers nor takes the
 * keyboard focus away.
 */
import {
  formatChange,
  formatCount,
  formatPrice,
  formatQuality,
  intervalMs,
  NONE,
  qualityClass,
} from './format.js';

/**
 * @typedef {{ name: string, quality: number | null, gapCount: number, missingBars: number }} IntervalRow
 * @typedef {{
 *   symbol: string,
 *   baseInterval: string,
 *   metrics: { last: number | null, volume: number, vwap: number | null, barCount: number, lastUpdate: string | null },
 *   prevClose: number | null,
 *   intervals: IntervalRow[],
 * }} SymbolRow
 * @typedef {{ key: string, label: string, title: string, numeric: boolean, value: (row: SymbolRow) => number | string | null }} Column
 */

/** @type {Column[]} */
const FIXED_COLUMNS = [
  { key: 'symbol', label: 'Symbol', title: 'Symbol', numeric: false, value: (r) => r.symbol },
  {
    key: 'last',
    label: 'Last',
    title: 'Close of the latest base bar',
    numeric: true,
    value: (r) => r.metrics.last,
  },
  {
    key: 'change',
    label: 'Change',
    title: 'Last against the previous session’s close (prev_close)',
    numeric: true,
    value: (r) =>
      r.metrics.last === null || r.prevClose === null || r.prevClose === 0
        ? null
        : (r.metrics.last - r.prevClose) / r.prevClose,
  },
  { key: 'volume', label: 'Volume', title: 'Session volume', numeric: true, value: (r) => r.metrics.volume },
  {
    key: 'vwap',
    label: 'VWAP',
    title: 'Session volume-weighted average price',
    numeric: true,
    value: (r) => r.metrics.vwap,
  },
  {
    key: 'bars',
    label: 'Bars',
    title: 'Base bars this session',
    numeric: true,
    value: (r) => r.metrics.barCount,
  },
];

/**
 * @param {string} name
 * @returns {Column}
 */
function intervalColumn(name) {
  return {
    key: `interval:${name}`,
    label: name,
    title: `${name}: quality (share of expected base bars present) and gaps`,
    numeric: true,
    value: (r) => r.intervals.find((i) => i.name === name)?.quality ?? null,
  };
}

/**
 * @param {number | string | null} a
 * @param {number | string | null} b
 */
function compare(a, b) {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export class SymbolsTable {
  /**
   * @param {HTMLTableElement} table
   * @param {(symbol: string) => void} onSelect
   * @param {(symbol: string) => string} hrefOf the link of a symbol's chart
   */
  constructor(table, onSelect, hrefOf) {
    this.table = table;
    this.onSelect = onSelect;
    this.hrefOf = hrefOf;
    /** @type {Column[]} */
    this.columns = [];
    this.sortKey = 'symbol';
    this.descending = false;
    /** @type {Map<string, HTMLTableRowElement>} */
    this.rowElements = new Map();
    /** @type {SymbolRow[]} */
    this.rows = [];
    /** @type {string | null} */
    this.selected = null;
    this.body = table.tBodies[0] ?? table.createTBody();
  }

  /**
   * Shows the rows (the latest figures) with `selected` marked.
   * @param {SymbolRow[]} rows
   * @param {string | null} selected
   */
  render(rows, selected) {
    this.rows = rows;
    this.selected = selected;
    const names = [...new Set(rows.flatMap((r) => r.intervals.map((i) => i.name)))].sort(
      (a, b) => intervalMs(a) - intervalMs(b),
    );
    const columns = [...FIXED_COLUMNS, ...names.map(intervalColumn)];
    if (columns.map((c) => c.key).join() !== this.columns.map((c) => c.key).join()) {
      this.columns = columns;
      this.renderHead();
      this.body.replaceChildren();
      this.rowElements.clear();
    }
    for (const symbol of [...this.rowElements.keys()]) {
      if (!rows.some((r) => r.symbol === symbol)) {
        this.rowElements.get(symbol)?.remove();
        this.rowElements.delete(symbol);
      }
    }
    for (const row of rows) this.fill(this.rowFor(row.symbol), row);
    this.order();
    if (rows.length === 0) {
      const empty = document.createElement('tr');
      const cell = document.createElement('td');
      cell.colSpan = this.columns.length;
      cell.className = 'empty';
      cell.textContent = 'No symbols in the session yet: load one with the loadSymbol mutation.';
      empty.append(cell);
      this.body.replaceChildren(empty);
    } else {
      this.body.querySelector('td.empty')?.parentElement?.remove();
    }
  }

  renderHead() {
    const head = this.table.tHead ?? this.table.createTHead();
    const tr = document.createElement('tr');
    for (const column of this.columns) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.dataset['col'] = column.key;
      if (column.numeric) th.className = 'num';
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = column.label;
      button.title = `${column.title}. Sort by this column.`;
      button.addEventListener('click', () => {
        if (this.sortKey === column.key) this.descending = !this.descending;
        else {
          this.sortKey = column.key;
          this.descending = column.numeric && column.key !== 'symbol';
        }
        this.markSort();
        this.order();
      });
      th.append(button);
      tr.append(th);
    }
    head.replaceChildren(tr);
    this.markSort();
  }

  markSort() {
    for (const th of this.table.tHead?.querySelectorAll('th') ?? []) {
      const sorted = th.dataset['col'] === this.sortKey;
      if (sorted) th.setAttribute('aria-sort', this.descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    }
  }

  /** @param {string} symbol */
  rowFor(symbol) {
    const existing = this.rowElements.get(symbol);
    if (existing) return existing;
    const tr = document.createElement('tr');
    tr.dataset['symbol'] = symbol;
    for (const column of this.columns) {
      const cell = document.createElement(column.key === 'symbol' ? 'th' : 'td');
      if (cell instanceof HTMLTableCellElement && column.key === 'symbol') cell.scope = 'row';
      cell.dataset['col'] = column.key;
      if (column.numeric) cell.classList.add('num');
      tr.append(cell);
    }
    const link = document.createElement('a');
    link.textContent = symbol;
    link.addEventListener('click', (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      this.onSelect(symbol);
    });
    tr.cells[0]?.append(link);
    this.rowElements.set(symbol, tr);
    this.body.append(tr);
    return tr;
  }

  /**
   * @param {HTMLTableRowElement} tr
   * @param {SymbolRow} row
   */
  fill(tr, row) {
    const selected = row.symbol === this.selected;
    tr.classList.toggle('selected', selected);
    const link = tr.querySelector('a');
    if (link) {
      link.href = this.hrefOf(row.symbol);
      if (selected) link.setAttribute('aria-current', 'true');
      else link.removeAttribute('aria-current');
    }
    const cells = /** @type {HTMLElement[]} */ ([...tr.cells]);
    this.columns.forEach((column, index) => {
      const cell = cells[index];
      if (!cell || column.key === 'symbol') return;
      const value = column.value(row);
      setValue(cell, value);
      switch (column.key) {
        case 'last':
          cell.textContent = formatPrice(row.metrics.last);
          break;
        case 'change':
          cell.textContent = formatChange(row.metrics.last, row.prevClose);
          cell.classList.toggle('up', typeof value === 'number' && value > 0);
          cell.classList.toggle('down', typeof value === 'number' && value < 0);
          cell.title =
            row.prevClose === null
              ? 'no previous close held'
              : `previous close ${formatPrice(row.prevClose)}`;
          break;
        case 'volume':
          cell.textContent = formatCount(row.metrics.volume);
          break;
        case 'vwap':
          cell.textContent = formatPrice(row.metrics.vwap);
          break;
        case 'bars':
          cell.textContent = formatCount(row.metrics.barCount);
          break;
        default:
          this.fillInterval(
            cell,
            row.intervals.find((i) => `interval:${i.name}` === column.key),
          );
      }
    });
  }

  /**
   * @param {HTMLElement} cell
   * @param {IntervalRow | undefined} interval
   */
  fillInterval(cell, interval) {
    if (!interval) {
      cell.className = 'num interval';
      cell.textContent = NONE;
      cell.removeAttribute('data-gaps');
      cell.title = 'not held for this symbol';
      return;
    }
    cell.className = `num interval ${qualityClass(interval.quality)}`;
    cell.dataset['gaps'] = String(interval.gapCount);
    const quality = document.createElement('span');
    quality.className = 'quality';
    quality.textContent = formatQuality(interval.quality);
    const gaps = document.createElement('span');
    gaps.className = interval.gapCount > 0 ? 'gaps has-gaps' : 'gaps';
    gaps.textContent = interval.gapCount === 1 ? '1 gap' : `${formatCount(interval.gapCount)} gaps`;
    cell.replaceChildren(quality, gaps);
    cell.title = `${interval.name}: quality ${formatQuality(interval.quality)}, ${interval.gapCount} gap(s), ${interval.missingBars} missing bar(s)`;
  }

  /** Puts the rows in the chosen order (moving only rows that are out of place). */
  order() {
    const column = this.columns.find((c) => c.key === this.sortKey) ?? this.columns[0];
    if (!column) return;
    const sorted = [...this.rows].sort((a, b) => {
      const byValue = compare(column.value(a), column.value(b));
      const ordered = this.descending ? -byValue : byValue;
      return ordered !== 0 ? ordered : compare(a.symbol, b.symbol);
    });
    sorted.forEach((row, index) => {
      const tr = this.rowElements.get(row.symbol);
      if (tr && this.body.rows[index] !== tr) this.body.insertBefore(tr, this.body.rows[index] ?? null);
    });
  }
}

/**
 * Keeps a cell's raw figure in `data-value` (what the API returned, unrounded).
 * @param {HTMLElement} cell
 * @param {number | string | null} value
 */
function setValue(cell, value) {
  if (value === null) cell.removeAttribute('data-value');
  else cell.dataset['value'] = String(value);
}
