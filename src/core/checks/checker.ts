// RunChecker: incremental checks of one run. Each series and the logits records keep a cursor, so an
// appended point is scanned once; findings are re-assembled from the small per-check state.
import type { Finding, RunUpdate, RunView, SeriesView, Severity } from '../model';
import { defaultSeverity } from './codes';
import { DivergenceTracker } from './divergence';
import type { Draft } from './draft';
import { makeLossCheck, type LossCheck } from './mismatch';
import { NonFiniteTracker } from './nonfinite';
import { resolveOptions, type CheckOptions, type ResolvedOptions } from './options';
import { OverfittingTracker } from './overfitting';
import { parseErrorDrafts } from './parse';
import { RecordChecker } from './records';
import { resumeDrafts } from './resume';
import { SpikeDetector } from './spikes';

/** Series derived by the extension from the logits (recomputed/loss …) are not checked again. */
const DERIVED_PREFIX = 'recomputed/';

function isLoss(s: SeriesView): boolean {
  return s.role === 'train_loss' || s.role === 'val_loss' || (s.role === 'other' && /loss/i.test(s.key));
}

interface SeriesState {
  nonFinite?: NonFiniteTracker;
  spikes?: SpikeDetector;
  divergence?: DivergenceTracker;
  overfitting?: OverfittingTracker;
  seen: number;
}

export class RunChecker {
  private readonly opts: ResolvedOptions;
  private runId: string | undefined;
  private generation = NaN;
  private states = new Map<string, SeriesState>();
  private records: RecordChecker;
  private parseSig = '';
  private resumeSig = '';
  private findings: Finding[] = [];
  private fresh = true;

  private readonly lossCheck: LossCheck;

  constructor(options?: CheckOptions) {
    this.opts = resolveOptions(options);
    this.lossCheck = makeLossCheck(this.opts.lossMismatch);
    this.records = new RecordChecker(this.lossCheck);
  }

  private reset(run: RunView): void {
    this.runId = run.id;
    this.generation = run.generation;
    this.states = new Map();
    this.records = new RecordChecker(this.lossCheck);
    this.parseSig = '';
    this.resumeSig = '';
    this.findings = [];
    this.fresh = true;
  }

  private stateFor(s: SeriesView): SeriesState {
    let st = this.states.get(s.key);
    if (st) return st;
    st = { seen: 0 };
    if (isLoss(s)) st.nonFinite = new NonFiniteTracker('non-finite-loss');
    if (s.role === 'train_loss') {
      st.spikes = new SpikeDetector(this.opts.spike, 'loss-spike');
      st.divergence = new DivergenceTracker(this.opts.divergence);
    }
    if (s.role === 'val_loss') st.overfitting = new OverfittingTracker(this.opts.overfitting);
    if (s.role === 'grad_norm') {
      st.nonFinite = new NonFiniteTracker('non-finite-grad-norm');
      st.spikes = new SpikeDetector(this.opts.spike, 'grad-norm-spike');
    }
    this.states.set(s.key, st);
    return st;
  }

  /**
   * Brings the checks up to date with `run` and returns all current findings of the run.
   * Only points appended since the last call are scanned; `u.reset`, a new `run.generation` or a
   * different run start over. `u.removed` → no findings.
   */
  update(run: RunView, u?: RunUpdate): readonly Finding[] {
    if (u?.removed) {
      this.reset(run);
      return this.findings;
    }
    if (run.id !== this.runId || run.generation !== this.generation || u?.reset) this.reset(run);
    let changed = this.fresh;
    this.fresh = false;
    const all = run.series().filter((s) => !s.key.startsWith(DERIVED_PREFIX));
    for (const s of all) {
      const st = this.stateFor(s);
      if (s.length < st.seen) {
        // a series shrank without a reset: start over rather than report stale points
        this.reset(run);
        return this.update(run);
      }
      if (s.length === st.seen) continue;
      st.seen = s.length;
      changed = true;
      st.nonFinite?.scan(s);
      st.spikes?.scan(s);
      st.divergence?.scan(s);
      st.overfitting?.scan(s);
    }
    const recs = run.logitRecords();
    if (recs.length < this.records.total) {
      this.reset(run);
      return this.update(run);
    }
    if (this.records.scan(recs)) changed = true;
    const pe = run.parseErrors();
    const sig = pe.map((e) => `${e.file}:${e.count}`).join('|');
    if (sig !== this.parseSig) {
      this.parseSig = sig;
      changed = true;
    }
    const rs = run.resumes?.() ?? [];
    const rsig = `${rs.length}:${rs.reduce((a, r) => a + r.series.length, 0)}`;
    if (rsig !== this.resumeSig) {
      this.resumeSig = rsig;
      changed = true;
    }
    if (changed) this.findings = this.assemble(run, all);
    return this.findings;
  }

  private assemble(run: RunView, all: readonly SeriesView[]): Finding[] {
    const most = (pred: (s: SeriesView) => boolean): SeriesView | undefined => {
      let best: SeriesView | undefined;
      for (const s of all) if (pred(s) && (!best || s.length > best.length)) best = s;
      return best;
    };
    const train = most((s) => s.role === 'train_loss');
    const gradSeries = most((s) => s.role === 'grad_norm');
    const gradSpikes = gradSeries ? this.states.get(gradSeries.key)?.spikes : undefined;
    const grad = gradSeries && gradSpikes ? { series: gradSeries, spikes: gradSpikes, window: this.opts.spike.window } : undefined;

    const drafts: Draft[] = [...parseErrorDrafts(run.parseErrors()), ...resumeDrafts(run.resumes?.() ?? []), ...this.records.drafts(run.logitRecords())];
    for (const s of all) {
      const st = this.states.get(s.key);
      if (!st) continue;
      if (st.nonFinite) drafts.push(...st.nonFinite.drafts(s, st.nonFinite.code === 'non-finite-loss' ? grad : undefined));
      if (st.divergence) drafts.push(...st.divergence.drafts(s));
      if (st.overfitting) drafts.push(...st.overfitting.drafts(s, train));
      if (st.spikes) drafts.push(...st.spikes.drafts(s));
    }
    const out: Finding[] = [];
    for (const d of drafts) {
      const sev = this.opts.severities[d.code] ?? defaultSeverity(d.code);
      if (sev === 'off') continue;
      out.push({ ...d, severity: sev as Severity, runId: run.id });
    }
    return out;
  }
}
