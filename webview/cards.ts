// Metric cards: one chart per metric (train and val of a quantity overlaid), grouped (Overview, `eval_`,
// `train/`, …), collapsible (collapsed cards get no data from the host), pinnable to the top, and filtered
// by the card search box. Cards exist for the metrics of the drawn runs.
import { cardOf, OVERVIEW, STANDARD_CARDS, type CardInfo } from '../src/shared/cards';
import { cardXLog, type DashboardState, type RunMeta } from '../src/shared/messages';
import { Panel, type PanelEvents } from './charts';
import { clear, el } from './dom';
import type { Store } from './store';
import type { Theme } from './theme';

export interface CardView {
  readonly info: CardInfo;
  readonly section: HTMLElement;
  readonly panel: Panel;
  readonly logY: HTMLInputElement;
  readonly logX: HTMLInputElement;
  readonly note: HTMLElement;
  readonly table: HTMLElement;
  readonly pin: HTMLButtonElement;
  readonly toggle: HTMLButtonElement;
  readonly body: HTMLElement;
  /** Recomputed cross-entropy switch (loss card only, when a run has recomputed series). */
  readonly recomputed: HTMLInputElement | null;
  /** Series keys per run shown in this card (for the note about a card's x axis). */
  hasData: boolean;
}

export interface CardEvents extends PanelEvents {
  keyNav(panel: Panel, e: KeyboardEvent): void;
}

export class Cards {
  readonly root: HTMLElement;
  readonly views = new Map<string, CardView>();
  private layoutKey = '';

  constructor(
    private readonly store: Store,
    private theme: () => Theme,
    private readonly events: CardEvents,
  ) {
    this.root = el('div', { id: 'lw-panels' });
  }

  /** The card of a series of a run (null when the run or series is unknown). */
  static cardOfSeries(runs: ReadonlyMap<string, RunMeta>, runId: string, key: string): string | null {
    const s = runs.get(runId)?.series.find((x) => x.key === key);
    return s ? cardOf(s).id : null;
  }

  private make(info: CardInfo): CardView {
    const id = info.id;
    const safe = id.replace(/[^A-Za-z0-9_-]/g, '_');
    const title = el('h3', { id: `lw-title-${safe}` }, info.title);
    const logY = el('input', { type: 'checkbox', id: `lw-ylog-${safe}` });
    const logX = el('input', { type: 'checkbox', id: `lw-xlog-${safe}` });
    const note = el('span', { class: 'note', id: `lw-note-${safe}` });
    const canvas = el('canvas', {
      tabindex: '0',
      role: 'img',
      'aria-label': `${info.title} chart. Arrow keys pan, plus and minus zoom, 0 resets. The table view lists the visible data.`,
    });
    const tip = el('div', { class: 'tip', role: 'tooltip' });
    tip.hidden = true;
    const wrap = el('div', { class: 'canvas-wrap' }, canvas, tip);
    const table = el('div', { class: 'table-wrap', hidden: '' });
    const pin = el(
      'button',
      { type: 'button', class: 'icon pin', title: 'Pin to the top', 'aria-pressed': 'false', 'aria-label': `Pin ${info.title}` },
      '☆',
    );
    const toggle = el(
      'button',
      {
        type: 'button',
        class: 'icon fold',
        'aria-expanded': 'true',
        'aria-label': `Collapse ${info.title}`,
        title: 'Collapse (its data is not loaded while collapsed)',
      },
      '▾',
    );
    let recomputed: HTMLInputElement | null = null;
    const head = el('div', { class: 'panel-head' }, toggle, title, note);
    if (id === 'loss') {
      recomputed = el('input', { type: 'checkbox', id: 'lw-recomputed' });
      const lab = el(
        'label',
        { class: 'check', title: 'Cross-entropy recomputed from logged logits (automatic: on up to 10 runs)' },
        recomputed,
        ' recomputed',
      );
      lab.hidden = true;
      head.append(lab);
      recomputed.addEventListener('change', () => this.store.dispatch({ type: 'setRecomputed', on: recomputed!.checked }));
    }
    head.append(
      el('label', { class: 'check', title: 'Log x for this card (points at x ≤ 0, such as step 0, are not drawn)' }, logX, ' log x'),
      el('label', { class: 'check' }, logY, ' log y'),
      pin,
    );
    const body = el('div', { class: 'panel-body' }, wrap, table);
    const section = el('section', { class: 'panel', 'data-panel': id, 'aria-labelledby': `lw-title-${safe}` }, head, body);
    const panel = new Panel(
      id,
      canvas,
      this.theme(),
      this.store.state,
      {
        ...this.events,
        yScale: ({ autoLog, clipped, ownX, rawHidden, logXSkipped }) => {
          // Written only when it changes: no DOM work (style/layout) on every live frame.
          const parts: string[] = [];
          if (logXSkipped) parts.push(`log x: ${logXSkipped} point${logXSkipped === 1 ? '' : 's'} at x ≤ 0 (or with no x) not drawn`);
          if (autoLog) parts.push('log y (auto)');
          if (clipped) parts.push(`${clipped} outlier${clipped === 1 ? '' : 's'} clipped`);
          if (rawHidden) parts.push('smoothed only (many curves)');
          if (ownX.length)
            parts.push(`${ownX.length <= 2 ? ownX.join(', ') : `${ownX.length} runs`}: per epoch, top axis (no steps logged)`);
          const text = parts.join('; ');
          note.title = text;
          if (note.textContent !== text) note.textContent = text;
          if (logY.indeterminate !== autoLog) logY.indeterminate = autoLog;
        },
      },
      tip,
    );
    logY.addEventListener('change', () => this.store.dispatch({ type: 'setYLog', card: id, on: logY.checked }));
    logX.addEventListener('change', () => this.store.dispatch({ type: 'setXLogCard', card: id, on: logX.checked }));
    pin.addEventListener('click', () => this.store.dispatch({ type: 'togglePin', card: id }));
    toggle.addEventListener('click', () => this.store.dispatch({ type: 'toggleCard', card: id }));
    canvas.addEventListener('keydown', (e) => this.events.keyNav(panel, e));
    const v: CardView = { info, section, panel, logY, logX, note, table, pin, toggle, body, recomputed, hasData: false };
    this.views.set(id, v);
    return v;
  }

  /** Cards for the metrics of the drawn runs; lays them out (pinned, Overview, other groups) when the set changed. */
  setMetrics(runs: readonly RunMeta[], drawn: ReadonlySet<string>): void {
    const infos = new Map<string, CardInfo>();
    let hasRecomputed = false;
    for (const r of runs) {
      if (!drawn.has(r.id)) continue;
      for (const s of r.series) {
        const c = cardOf(s);
        if (!infos.has(c.id)) infos.set(c.id, c);
        if (s.key.startsWith('recomputed/')) hasRecomputed = true;
      }
    }
    for (const info of infos.values()) if (!this.views.has(info.id)) this.make(info);
    for (const [id, v] of this.views) v.section.dataset.present = String(infos.has(id));
    const rec = this.views.get('loss')?.recomputed;
    if (rec) rec.parentElement!.hidden = !hasRecomputed;
    this.layout();
  }

  /** Orders and groups the card sections. */
  layout(): void {
    const st = this.store.state;
    const present = [...this.views.values()].filter((v) => v.section.dataset.present === 'true');
    const key = JSON.stringify([present.map((v) => v.info.id), st.pinned]);
    if (key !== this.layoutKey) {
      this.layoutKey = key;
      const rank = (v: CardView): number => {
        const i = STANDARD_CARDS.indexOf(v.info.id);
        return i >= 0 ? i : STANDARD_CARDS.length;
      };
      const groups = new Map<string, CardView[]>();
      const pinned = st.pinned.map((id) => present.find((v) => v.info.id === id)).filter((v): v is CardView => v !== undefined);
      for (const v of present) {
        if (pinned.includes(v)) continue;
        const list = groups.get(v.info.group) ?? [];
        list.push(v);
        groups.set(v.info.group, list);
      }
      const order = [...groups.keys()].sort((a, b) =>
        a === OVERVIEW ? -1 : b === OVERVIEW ? 1 : a === 'Other' ? 1 : b === 'Other' ? -1 : a.localeCompare(b),
      );
      clear(this.root);
      const addGroup = (name: string, list: CardView[]): void => {
        if (list.length === 0) return;
        list.sort((a, b) => rank(a) - rank(b) || a.info.title.localeCompare(b.info.title, undefined, { numeric: true }));
        this.root.append(
          el(
            'section',
            { class: 'card-group', 'data-group': name },
            el('h2', {}, name),
            el('div', { class: 'cards' }, ...list.map((v) => v.section)),
          ),
        );
      };
      if (pinned.length)
        this.root.append(
          el(
            'section',
            { class: 'card-group', 'data-group': 'Pinned' },
            el('h2', {}, 'Pinned'),
            el('div', { class: 'cards' }, ...pinned.map((v) => v.section)),
          ),
        );
      for (const g of order) addGroup(g, groups.get(g)!);
    }
    this.sync();
  }

  /** Controls of every card from the store (collapse, pin, log y, search). */
  sync(): void {
    const st: DashboardState = this.store.state;
    const q = this.store.ui.cardSearch.trim().toLowerCase();
    for (const [id, v] of this.views) {
      const collapsed = st.collapsed.includes(id);
      v.body.hidden = collapsed;
      v.section.classList.toggle('collapsed', collapsed);
      v.toggle.textContent = collapsed ? '▸' : '▾';
      v.toggle.setAttribute('aria-expanded', String(!collapsed));
      v.pin.setAttribute('aria-pressed', String(st.pinned.includes(id)));
      v.pin.textContent = st.pinned.includes(id) ? '★' : '☆';
      v.logY.checked = st.yLog[id] ?? id === 'grad_norm';
      v.logX.checked = cardXLog(st, id);
      v.table.hidden = !st.table;
      v.section.hidden =
        v.section.dataset.present !== 'true' ||
        (q !== '' && !v.info.title.toLowerCase().includes(q) && !v.info.group.toLowerCase().includes(q));
    }
    for (const g of this.root.querySelectorAll<HTMLElement>('.card-group')) {
      g.hidden = [...g.querySelectorAll<HTMLElement>('.panel')].every((p) => p.hidden);
    }
  }

  setRecomputedChecked(on: boolean): void {
    const r = this.views.get('loss')?.recomputed;
    if (r && r.checked !== on) r.checked = on;
  }

  /** Width (CSS px) of a card's plot, for the host's per-pixel downsampling. */
  columns(): number {
    for (const v of this.views.values()) {
      const w = v.body.clientWidth;
      if (w > 0 && !v.section.hidden) return Math.max(50, Math.min(4096, Math.round(w)));
    }
    const w = this.root.clientWidth || window.innerWidth || 800;
    return Math.max(50, Math.min(4096, Math.round(w / 2)));
  }

  restyle(theme: Theme, state: DashboardState): void {
    for (const v of this.views.values()) v.panel.restyle(theme, state);
  }
}
