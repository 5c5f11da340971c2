// The one owner of the dashboard's view state: the persisted DashboardState plus transient UI state,
// changed only through explicit actions (a pure reducer, unit-tested in test/unit/dashboard/store.test.ts).
// No DOM here.
import { withCardFlag, type DashboardState, type Range, type XAxis } from '../src/shared/messages';
import { defaultYLog } from '../src/shared/cards';

export type RunSort = 'name' | 'updated' | 'best';
export type TableColumn = 'name' | 'status' | 'points' | 'lastVal' | 'bestVal' | 'lastTrain' | 'lr';

export interface UiState {
  /** Run selector order. */
  readonly sort: RunSort;
  /** Run selector folder groups that are collapsed. */
  readonly closedGroups: readonly string[];
  /** Card search box (substring of the card title). */
  readonly cardSearch: string;
  /** Run whose curves are emphasised (comparison table click). */
  readonly highlightRun: string | null;
  readonly tableSort: { readonly column: TableColumn; readonly descending: boolean };
}

export interface ViewState {
  readonly state: DashboardState;
  readonly ui: UiState;
}

export const DEFAULT_UI: UiState = {
  sort: 'name',
  closedGroups: [],
  cardSearch: '',
  highlightRun: null,
  tableSort: { column: 'bestVal', descending: false },
};

export type Action =
  | { readonly type: 'restore'; readonly state: DashboardState }
  | { readonly type: 'selectRuns'; readonly runIds: readonly string[] | null }
  | { readonly type: 'setFilter'; readonly filter: string; readonly regex: boolean }
  | { readonly type: 'setXAxis'; readonly xAxis: XAxis }
  | { readonly type: 'setXLog'; readonly on: boolean }
  | { readonly type: 'setYLog'; readonly card: string; readonly on: boolean }
  | { readonly type: 'setXLogCard'; readonly card: string; readonly on: boolean }
  | { readonly type: 'setSmoothing'; readonly weight: number }
  | { readonly type: 'setRange'; readonly range: Range | null }
  | { readonly type: 'setIgnoreOutliers'; readonly on: boolean }
  | { readonly type: 'setEnvelope'; readonly on: boolean }
  | { readonly type: 'toggleTable' }
  | { readonly type: 'toggleCompare' }
  | { readonly type: 'toggleCard'; readonly card: string }
  | { readonly type: 'togglePin'; readonly card: string }
  | { readonly type: 'setRecomputed'; readonly on: boolean | null }
  | { readonly type: 'setSort'; readonly sort: RunSort }
  | { readonly type: 'toggleGroup'; readonly group: string }
  | { readonly type: 'setCardSearch'; readonly text: string }
  | { readonly type: 'highlightRun'; readonly runId: string | null }
  | { readonly type: 'sortTable'; readonly column: TableColumn };

/** Whether an action changes what the host must send (a new frame is requested). */
export function needsData(a: Action): boolean {
  switch (a.type) {
    case 'selectRuns':
    case 'setFilter':
    case 'setXAxis':
    case 'setXLog':
    case 'setXLogCard':
    case 'setSmoothing':
    case 'setRange':
    case 'toggleCard':
    case 'setRecomputed':
    case 'toggleTable': // the table and the band show raw points, which "smoothed only" cards are sent without
    case 'setEnvelope':
      return true;
    default:
      return false;
  }
}

function toggle(list: readonly string[], v: string): string[] {
  return list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
}

export function reduce(v: ViewState, a: Action): ViewState {
  const st = (patch: Partial<DashboardState>): ViewState => ({ ...v, state: { ...v.state, ...patch } });
  const ui = (patch: Partial<UiState>): ViewState => ({ ...v, ui: { ...v.ui, ...patch } });
  switch (a.type) {
    case 'restore':
      return { ...v, state: a.state };
    case 'selectRuns':
      return st({ runIds: a.runIds === null ? null : [...a.runIds] });
    case 'setFilter':
      return st({ filter: a.filter.slice(0, 500), filterRegex: a.regex });
    case 'setXAxis':
      return st({ xAxis: a.xAxis, range: null });
    case 'setXLog':
      // The toolbar's log x sets every card (per-card overrides are dropped).
      return st({ xLog: a.on, xLogCards: {}, range: null });
    case 'setXLogCard': {
      // Only where it differs from the toolbar's log x.
      return st({ xLogCards: withCardFlag(v.state.xLogCards, a.card, a.on === v.state.xLog ? undefined : a.on) });
    }
    case 'setYLog': {
      const yLog = { ...v.state.yLog };
      if (a.on === defaultYLog(a.card)) delete yLog[a.card];
      else yLog[a.card] = a.on;
      return st({ yLog });
    }
    case 'setSmoothing':
      return st({ smoothing: Math.min(0.999, Math.max(0, Number.isFinite(a.weight) ? a.weight : 0)) });
    case 'setRange':
      return st({ range: a.range && a.range.min < a.range.max ? a.range : null });
    case 'setIgnoreOutliers':
      return st({ ignoreOutliers: a.on });
    case 'setEnvelope':
      return st({ envelope: a.on });
    case 'toggleTable':
      return st({ table: !v.state.table });
    case 'toggleCompare':
      return st({ compare: !v.state.compare });
    case 'toggleCard':
      return st({ collapsed: toggle(v.state.collapsed, a.card) });
    case 'togglePin':
      return st({ pinned: toggle(v.state.pinned, a.card) });
    case 'setRecomputed':
      return st({ recomputed: a.on });
    case 'setSort':
      return ui({ sort: a.sort });
    case 'toggleGroup':
      return ui({ closedGroups: toggle(v.ui.closedGroups, a.group) });
    case 'setCardSearch':
      return ui({ cardSearch: a.text.slice(0, 200) });
    case 'highlightRun':
      return ui({ highlightRun: a.runId === v.ui.highlightRun ? null : a.runId });
    case 'sortTable':
      return ui({ tableSort: { column: a.column, descending: v.ui.tableSort.column === a.column ? !v.ui.tableSort.descending : false } });
  }
}

export class Store {
  private v: ViewState;
  private readonly listeners: Array<(v: ViewState, a: Action) => void> = [];

  constructor(state: DashboardState, ui: UiState = DEFAULT_UI) {
    this.v = { state, ui };
  }

  get state(): DashboardState {
    return this.v.state;
  }

  get ui(): UiState {
    return this.v.ui;
  }

  dispatch(a: Action): void {
    this.v = reduce(this.v, a);
    for (const l of this.listeners) l(this.v, a);
  }

  subscribe(fn: (v: ViewState, a: Action) => void): void {
    this.listeners.push(fn);
  }
}
