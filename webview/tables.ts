// The data tables (toggle "Data tables"): the visible (downsampled) data of every card as an HTML table,
// for screen readers and copy/paste.
import type { DashboardState } from '../src/shared/messages';
import type { Cards } from './cards';
import { clear, el } from './dom';
import { fmtNumber, fmtX, X_LABEL } from './format';

const TABLE_MAX_ROWS = 2000;

export function renderTables(cards: Cards, state: DashboardState): void {
  for (const v of cards.views.values()) {
    clear(v.table);
    if (!state.table || v.section.hidden || v.body.hidden) continue;
    const table = el('table', {}, el('caption', {}, `${v.info.title}: visible data (min/max per pixel column; NaN/Inf listed)`));
    table.append(
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col' }, 'series'),
          el('th', { scope: 'col' }, X_LABEL[state.xAxis]),
          el('th', { scope: 'col' }, 'value'),
          el('th', { scope: 'col' }, 'smoothed'),
        ),
      ),
    );
    const body = el('tbody');
    let rows = 0;
    for (const s of v.panel.series()) {
      const sm = s.smooth;
      let k = 0;
      for (const pt of s.raw) {
        if (rows >= TABLE_MAX_ROWS) break;
        while (sm && k < sm.length - 1 && sm[k].x < pt.x) k++;
        const smv = sm && sm.length > 0 ? fmtNumber(sm[k].y) : '';
        body.append(
          el('tr', {}, el('td', {}, s.ref.label), el('td', {}, fmtX(state.xAxis, pt.x)), el('td', {}, fmtNumber(pt.y)), el('td', {}, smv)),
        );
        rows++;
      }
      for (const pt of s.nf) {
        if (rows >= TABLE_MAX_ROWS) break;
        body.append(
          el(
            'tr',
            {},
            el('td', {}, s.ref.label),
            el('td', {}, fmtX(state.xAxis, pt.x)),
            el(
              'td',
              {},
              `${pt.kind === 'nan' ? 'NaN' : pt.kind === '+inf' ? '+Inf' : '-Inf'}${(pt.count ?? 1) > 1 ? ` (×${pt.count})` : ''}`,
            ),
            el('td', {}, ''),
          ),
        );
        rows++;
      }
    }
    table.append(body);
    v.table.append(table);
    if (rows >= TABLE_MAX_ROWS) v.table.append(el('p', {}, `First ${TABLE_MAX_ROWS} rows shown; zoom in or export CSV for all.`));
  }
}
