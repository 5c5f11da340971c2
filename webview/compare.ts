// The run comparison table: drawn runs as rows (name, status, steps, last and best validation loss with
// its step, last train loss, learning rate), sortable by any column, a click highlights the run's curves,
// and "Export CSV" asks the host for the table (formula-safe cells, dashboardCore.tableCsv).
import type { RunMeta } from '../src/shared/messages';
import { post } from './api';
import { clear, el } from './dom';
import { fmtNumber } from './format';
import type { Store, TableColumn } from './store';

const COLUMNS: ReadonlyArray<[TableColumn, string]> = [
  ['name', 'Run'],
  ['status', 'Status'],
  ['points', 'Steps'],
  ['lastVal', 'Last val loss'],
  ['bestVal', 'Best val loss (step)'],
  ['lastTrain', 'Last train loss'],
  ['lr', 'Learning rate'],
];
const STATUS_RANK = { error: 0, warning: 1, ok: 2 } as const;
const STATUS_TEXT = { ok: '✓ ok', warning: '⚠ warning', error: '✗ error' } as const;

function sortValue(r: RunMeta, c: TableColumn): number | string | null {
  const s = r.summary;
  switch (c) {
    case 'name':
      return r.name;
    case 'status':
      return STATUS_RANK[r.status];
    case 'points':
      return s.points;
    case 'lastVal':
      return s.lastValLoss;
    case 'bestVal':
      return s.bestValLoss;
    case 'lastTrain':
      return s.lastTrainLoss;
    case 'lr':
      return s.lastLr;
  }
}

/** Sorted rows; missing values last in either direction. */
export function sortRuns(runs: readonly RunMeta[], column: TableColumn, descending: boolean): RunMeta[] {
  return [...runs].sort((a, b) => {
    const x = sortValue(a, column);
    const y = sortValue(b, column);
    if (x === null || y === null) return x === y ? a.name.localeCompare(b.name) : x === null ? 1 : -1;
    const d = typeof x === 'string' ? x.localeCompare(y as string, undefined, { numeric: true }) : x - (y as number);
    return (descending ? -d : d) || a.name.localeCompare(b.name);
  });
}

export class CompareTable {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly head: HTMLElement;
  private order: string[] = [];
  private sig = '';

  constructor(
    private readonly store: Store,
    private readonly colorOf: (r: RunMeta) => string,
  ) {
    this.head = el('tr');
    this.body = el('tbody');
    const csv = el('button', { type: 'button', id: 'lw-compare-csv' }, 'Export table CSV');
    csv.addEventListener('click', () => post({ type: 'exportTable', runIds: this.order }));
    this.root = el(
      'section',
      { class: 'compare', id: 'lw-compare', 'aria-label': 'Run comparison' },
      el('div', { class: 'compare-head' }, el('h2', {}, 'Run comparison'), csv),
      el('div', { class: 'compare-wrap' }, el('table', {}, el('thead', {}, this.head), this.body)),
    );
  }

  render(runs: readonly RunMeta[]): void {
    this.root.hidden = !this.store.state.compare;
    if (this.root.hidden) return;
    const { column, descending } = this.store.ui.tableSort;
    const hl = this.store.ui.highlightRun;
    const sig = JSON.stringify([runs, column, descending, hl]);
    if (sig === this.sig) return;
    this.sig = sig;
    clear(this.head);
    for (const [c, label] of COLUMNS) {
      const b = el(
        'button',
        { type: 'button', class: 'th-sort', 'data-column': c },
        label + (c === column ? (descending ? ' ▼' : ' ▲') : ''),
      );
      b.addEventListener('click', () => this.store.dispatch({ type: 'sortTable', column: c }));
      this.head.append(el('th', { scope: 'col', 'aria-sort': c === column ? (descending ? 'descending' : 'ascending') : 'none' }, b));
    }
    const sorted = sortRuns(runs, column, descending);
    this.order = sorted.map((r) => r.id);
    clear(this.body);
    const n = (v: number | null): string => (v === null ? '–' : fmtNumber(v));
    for (const r of sorted) {
      const s = r.summary;
      const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      sw.style.background = this.colorOf(r);
      const tr = el(
        'tr',
        { 'data-run': r.id, tabindex: '0', class: r.id === hl ? 'hl' : '' },
        el('td', { class: 'name', title: r.group ? `${r.group}/${r.name}` : r.name }, sw, r.name),
        el('td', { class: `status-${r.status}` }, STATUS_TEXT[r.status]),
        el('td', {}, String(s.points)),
        el('td', {}, n(s.lastValLoss)),
        el('td', {}, s.bestValLoss === null ? '–' : `${n(s.bestValLoss)} (${s.bestValStep ?? '?'})`),
        el('td', {}, n(s.lastTrainLoss)),
        el('td', {}, n(s.lastLr)),
      );
      const pick = (): void => this.store.dispatch({ type: 'highlightRun', runId: r.id });
      tr.addEventListener('click', pick);
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          pick();
        }
      });
      this.body.append(tr);
    }
  }
}
