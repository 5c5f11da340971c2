// The findings list under the cards (a collapsible list; the charts show findings as glyphs on the x axis).
import type { Marker, RunMeta } from '../src/shared/messages';
import { clear, el } from './dom';

export class MarkerList {
  readonly root: HTMLDetailsElement;
  private readonly list: HTMLUListElement;
  private readonly count: HTMLElement;
  private sig = '';
  private firstRender = true;

  constructor(private readonly open: (m: Marker) => void) {
    this.list = el('ul', { id: 'lw-markers' });
    this.count = el('span', { class: 'count' });
    this.root = el(
      'details',
      { class: 'markers', 'aria-label': 'Findings' },
      el('summary', {}, el('h2', {}, 'Findings'), this.count),
      this.list,
    );
  }

  render(markers: readonly Marker[], runs: ReadonlyMap<string, RunMeta>): void {
    const sig = JSON.stringify(markers) + JSON.stringify([...runs.values()].map((r) => r.name));
    if (sig === this.sig) return; // unchanged: no DOM rebuild
    this.sig = sig;
    clear(this.list);
    const findings = markers.filter((m) => m.kind === 'finding').length;
    this.count.textContent = ` ${findings}`;
    for (const m of markers) {
      const run = runs.get(m.runId);
      const b = el(
        'button',
        { type: 'button', class: `marker sev-${m.severity}`, 'data-code': m.code, 'data-step': String(m.step) },
        `${m.severity === 'information' ? 'info' : m.severity}: ${m.code} at step ${m.step}${runs.size > 1 && run ? ` (${run.name})` : ''} — ${m.message}`,
      );
      b.disabled = !m.file;
      b.addEventListener('click', () => this.open(m));
      this.list.append(el('li', {}, b));
    }
    if (markers.length === 0) this.list.append(el('li', { class: 'empty' }, 'No findings.'));
    // A long list (a finding per run) starts folded: it is below the cards, the glyphs are on the charts.
    if (this.firstRender) this.root.open = markers.length <= 12;
    this.firstRender = false;
  }
}
