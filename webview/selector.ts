// The run selector (left column, own scroll): filter box (substring or RE2 regex), select all / none of
// the visible runs, runs grouped by folder in collapsible groups, status icons, sort by name / last update /
// best validation loss, and a colour swatch per run (the chart's colour key). Rows are built once per run
// list; filtering only toggles `hidden` (1,000 runs filter in a few ms).
import type { RunMeta } from '../src/shared/messages';
import { compileRunFilter, filterText, type RunMatcher } from '../src/shared/runFilter';
import { el, clear } from './dom';
import type { RunSort, Store } from './store';

interface Row {
  readonly run: RunMeta;
  readonly row: HTMLElement;
  readonly cb: HTMLInputElement;
  readonly status: HTMLElement;
  readonly text: string;
}

interface Group {
  readonly details: HTMLDetailsElement;
  readonly list: HTMLElement;
  readonly count: HTMLElement;
}

const STATUS_ICON = { ok: '✓', warning: '⚠', error: '✗' } as const;
const STATUS_LABEL = { ok: 'no problems', warning: 'warnings', error: 'errors' } as const;

export class RunSelector {
  readonly root: HTMLElement;
  private readonly filterBox: HTMLInputElement;
  private readonly regexBox: HTMLInputElement;
  private readonly sortSel: HTMLSelectElement;
  private readonly info: HTMLElement;
  private readonly groupsBox: HTMLElement;
  private rows = new Map<string, Row>();
  private groups = new Map<string, Group>();
  private structure = '';
  private matcher: RunMatcher = compileRunFilter('', false);
  /** Duration of the last filter pass (ms), for the benchmark. */
  lastFilterMs = 0;

  constructor(
    private readonly store: Store,
    private readonly colorOf: (run: RunMeta) => string,
  ) {
    this.filterBox = el('input', {
      type: 'search',
      id: 'lw-filter',
      placeholder: 'Filter runs',
      'aria-label': 'Filter runs (text, or a regular expression with .*)',
      maxlength: '500',
      spellcheck: 'false',
    });
    this.regexBox = el('input', { type: 'checkbox', id: 'lw-filter-regex' });
    this.sortSel = el('select', { id: 'lw-run-sort', 'aria-label': 'Sort runs' });
    for (const [v, t] of [
      ['name', 'Name'],
      ['updated', 'Last update'],
      ['best', 'Best val loss'],
    ] as const)
      this.sortSel.append(el('option', { value: v }, t));
    const all = el('button', { type: 'button', id: 'lw-runs-all', title: 'Select every run the filter shows' }, 'All');
    const none = el('button', { type: 'button', id: 'lw-runs-none', title: 'Deselect every run the filter shows' }, 'None');
    this.info = el('div', { class: 'runs-info', id: 'lw-runs-info', role: 'status' });
    this.groupsBox = el('div', { class: 'run-groups' });
    this.root = el(
      'aside',
      { class: 'runs', id: 'lw-runs', 'aria-label': 'Runs' },
      el('div', { class: 'runs-head' }, el('h2', {}, 'Runs'), this.info),
      el(
        'div',
        { class: 'runs-filter' },
        this.filterBox,
        el('label', { class: 'check', title: 'Regular expression (RE2 syntax, case-insensitive)' }, this.regexBox, '.*'),
      ),
      el('div', { class: 'runs-actions' }, all, none, el('label', { for: 'lw-run-sort', class: 'sr-only' }, 'Sort'), this.sortSel),
      this.groupsBox,
    );
    this.filterBox.addEventListener('input', () => this.onFilter());
    this.regexBox.addEventListener('change', () => this.onFilter());
    this.sortSel.addEventListener('change', () => this.store.dispatch({ type: 'setSort', sort: this.sortSel.value as RunSort }));
    all.addEventListener('click', () => this.selectVisible(true));
    none.addEventListener('click', () => this.selectVisible(false));
  }

  private onFilter(): void {
    this.store.dispatch({ type: 'setFilter', filter: this.filterBox.value, regex: this.regexBox.checked });
  }

  /** Runs shown by the filter (whatever their tick). */
  visibleIds(): string[] {
    const out: string[] = [];
    for (const [id, r] of this.rows) if (!r.row.hidden) out.push(id);
    return out;
  }

  /** Runs drawn: ticked and matching the filter. */
  drawnIds(): string[] {
    const ids = this.store.state.runIds;
    const sel = ids === null ? null : new Set(ids);
    return this.visibleIds().filter((id) => sel === null || sel.has(id));
  }

  private selectVisible(on: boolean): void {
    const allIds = [...this.rows.keys()];
    const cur = new Set(this.store.state.runIds ?? allIds);
    for (const id of this.visibleIds()) {
      if (on) cur.add(id);
      else cur.delete(id);
    }
    const ids = allIds.filter((id) => cur.has(id));
    this.store.dispatch({ type: 'selectRuns', runIds: ids.length === allIds.length ? null : ids });
  }

  /** New run list from the host: rebuilds rows when names/groups/colours changed, else updates icons and order. */
  setRuns(runs: readonly RunMeta[]): void {
    const structure = JSON.stringify(runs.map((r) => [r.id, r.name, r.group, r.color]));
    if (structure !== this.structure) {
      this.structure = structure;
      this.build(runs);
    } else {
      for (const r of runs) {
        const row = this.rows.get(r.id);
        if (!row) continue;
        (row as { run: RunMeta }).run = r;
        this.setStatus(row.status, r);
      }
    }
    this.order();
    this.sync();
  }

  private setStatus(elm: HTMLElement, r: RunMeta): void {
    if (elm.dataset.status === r.status) return;
    elm.dataset.status = r.status;
    elm.textContent = STATUS_ICON[r.status];
    elm.className = `status status-${r.status}`;
    elm.setAttribute('aria-label', STATUS_LABEL[r.status]);
    elm.title = STATUS_LABEL[r.status];
  }

  private build(runs: readonly RunMeta[]): void {
    clear(this.groupsBox);
    this.rows = new Map();
    this.groups = new Map();
    for (const r of runs) {
      let g = this.groups.get(r.group);
      if (!g) {
        const count = el('span', { class: 'count' });
        const list = el('div', { class: 'group-runs' });
        const details = el(
          'details',
          { class: 'run-group', 'data-group': r.group },
          el('summary', {}, el('span', { class: 'group-name' }, r.group === '' ? './' : `${r.group}/`), count),
          list,
        );
        details.open = !this.store.ui.closedGroups.includes(r.group);
        details.addEventListener('toggle', () => {
          if (details.open === this.store.ui.closedGroups.includes(r.group)) this.store.dispatch({ type: 'toggleGroup', group: r.group });
        });
        g = { details, list, count };
        this.groups.set(r.group, g);
      }
      const cb = el('input', { type: 'checkbox', value: r.id });
      cb.addEventListener('change', () => {
        const allIds = [...this.rows.keys()];
        const on = new Set(this.store.state.runIds ?? allIds);
        if (cb.checked) on.add(r.id);
        else on.delete(r.id);
        const ids = allIds.filter((id) => on.has(id));
        this.store.dispatch({ type: 'selectRuns', runIds: ids.length === allIds.length ? null : ids });
      });
      const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      // CSSOM writes are allowed by the CSP (no inline style attributes).
      swatch.style.background = this.colorOf(r);
      const status = el('span', { class: 'status' });
      this.setStatus(status, r);
      const text = filterText(r);
      const row = el(
        'label',
        { class: 'run-row', 'data-run': r.id, title: text },
        cb,
        swatch,
        status,
        el('span', { class: 'run-name' }, r.name),
      );
      row.addEventListener('mouseenter', () => this.store.dispatch({ type: 'highlightRun', runId: r.id }));
      row.addEventListener('mouseleave', () => this.store.dispatch({ type: 'highlightRun', runId: null }));
      this.rows.set(r.id, { run: r, row, cb, status, text });
    }
    const names = [...this.groups.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)));
    for (const n of names) this.groupsBox.append(this.groups.get(n)!.details);
    this.applyFilter();
  }

  /** Orders rows within each group by the chosen sort. */
  private order(): void {
    const sort = this.store.ui.sort;
    const key =
      sort +
      '|' +
      [...this.rows.values()]
        .map((r) => (sort === 'name' ? '' : sort === 'updated' ? r.run.summary.updated : r.run.summary.bestValLoss))
        .join(',');
    if (key === this.orderKey) return;
    this.orderKey = key;
    const byGroup = new Map<string, Row[]>();
    for (const r of this.rows.values()) {
      const list = byGroup.get(r.run.group) ?? [];
      list.push(r);
      byGroup.set(r.run.group, list);
    }
    const cmp = (a: Row, b: Row): number => {
      if (sort === 'updated') return b.run.summary.updated - a.run.summary.updated || a.run.name.localeCompare(b.run.name);
      if (sort === 'best') {
        const x = a.run.summary.bestValLoss;
        const y = b.run.summary.bestValLoss;
        if (x !== y) return x === null ? 1 : y === null ? -1 : x - y;
      }
      return a.run.name.localeCompare(b.run.name, undefined, { numeric: true });
    };
    for (const [g, list] of byGroup) {
      list.sort(cmp);
      this.groups.get(g)!.list.append(...list.map((r) => r.row));
    }
  }
  private orderKey = '';

  /** Applies the store's filter to the rows (hidden toggles only). */
  applyFilter(): void {
    const t0 = performance.now();
    const st = this.store.state;
    this.matcher = compileRunFilter(st.filter, st.filterRegex);
    const m = this.matcher;
    const counts = new Map<string, number>();
    for (const r of this.rows.values()) {
      const show = m.ok && m.test(r.text);
      if (r.row.hidden === show) r.row.hidden = !show;
      if (show) counts.set(r.run.group, (counts.get(r.run.group) ?? 0) + 1);
    }
    for (const [name, g] of this.groups) {
      const n = counts.get(name) ?? 0;
      g.details.hidden = n === 0;
      g.count.textContent = ` ${n}`;
    }
    this.lastFilterMs = performance.now() - t0;
    this.renderInfo();
  }

  private renderInfo(): void {
    const m = this.matcher;
    const drawn = this.drawnIds().length;
    const text = !m.ok ? `Invalid filter: ${m.error.slice(0, 200)}` : `${drawn} of ${this.rows.size} drawn`;
    if (this.info.textContent !== text) this.info.textContent = text;
    this.filterBox.setAttribute('aria-invalid', String(!m.ok));
  }

  /** Controls and ticks from the store. */
  sync(): void {
    const st = this.store.state;
    if (this.filterBox.value !== st.filter) this.filterBox.value = st.filter;
    this.regexBox.checked = st.filterRegex;
    this.sortSel.value = this.store.ui.sort;
    const sel = st.runIds === null ? null : new Set(st.runIds);
    for (const [id, r] of this.rows) {
      const on = sel === null || sel.has(id);
      if (r.cb.checked !== on) r.cb.checked = on;
    }
    this.renderInfo();
  }

  /** Re-sorts after a sort change. */
  resort(): void {
    this.order();
  }

  /** Swatch colours after a theme change. */
  recolor(): void {
    for (const r of this.rows.values()) (r.row.querySelector('.swatch') as HTMLElement).style.background = this.colorOf(r.run);
  }
}
