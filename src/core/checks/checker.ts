// RunChecker: incremental checks of one run. Each series and the logits records keep a cursor, so an
// appended point is scanned once; findings are re-assembled from the small per-check state.
import type { Finding, RunUpdate, RunView, SeriesView, Severity } from '../model';
import { classify } from '../../ingest/roles';
import { defaultSeverity } from './codes';
import { DivergenceTracker } from './divergence';
import type { Draft } from './draft';
import { makeLossCheck, type LossCheck } from './mismatch';
import { NonFiniteTracker } from './nonfinite';
import { resolveOptions, type CheckOptions, type ResolvedOptions } from './options';
import { OverfittingTracker, mergeComponentDrafts, trainerBest, type TrainerBest } from './overfitting';
import { parseErrorDrafts } from './parse';
import { RecordChecker } from './records';
import { rankDrafts } from './ranks';
import { resumeDrafts } from './resume';
import { SpikeDetector } from './spikes';
import { isRecomputedKey } from '../../shared/recomputed';

function isLoss(s: SeriesView): boolean {
  return s.role === 'train_loss' || s.role === 'val_loss' || (s.role === 'other' && /loss/i.test(s.key));
}

/** The loss family of a series and whether it is the run's total loss (see ingest/roles.ts). */
interface Family {
  quantity: string;
  total: boolean;
  squared: boolean;
}

function familyOf(s: SeriesView): Family {
  const c = classify(s.key, s.split);
  if (c.role === s.role) return { quantity: c.quantity, total: c.total, squared: c.squared };
  // A role given by whoever made the series (derived series, tests) for a key that names no known family.
  return { quantity: s.role === 'train_loss' || s.role === 'val_loss' ? 'loss' : s.key, total: true, squared: false };
}

interface SeriesState {
  family: Family;
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
    st = { seen: 0, family: familyOf(s) };
    if (isLoss(s)) st.nonFinite = new NonFiniteTracker('non-finite-loss');
    if (s.role === 'train_loss') {
      st.spikes = new SpikeDetector(this.opts.spike, 'loss-spike');
      st.divergence = new DivergenceTracker(this.opts.divergence);
    }
    if (s.role === 'val_loss') st.overfitting = new OverfittingTracker(this.opts.overfitting);
    if (s.role === 'grad_norm') {
      st.nonFinite = new NonFiniteTracker('non-finite-grad-norm');
      st.spikes = new SpikeDetector(this.opts.spike, 'grad-norm-spike', st.family.squared);
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
    const all = run.series().filter((s) => !isRecomputedKey(s.key)); // derived from the logits: not checked again
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
    const fam = (s: SeriesView): Family => this.states.get(s.key)!.family;
    const longest = (list: readonly SeriesView[]): SeriesView | undefined => {
      let best: SeriesView | undefined;
      for (const s of list) if (!best || s.length > best.length) best = s;
      return best;
    };
    // Training-loss checks (divergence, loss spikes) watch the run's total loss when it logs one, else
    // each component loss: one curve per run, not the same event once per component.
    const trainLosses = all.filter((s) => s.role === 'train_loss');
    const trainTotals = trainLosses.filter((s) => fam(s).total);
    const watchedTrain = new Set(trainTotals.length > 0 ? trainTotals : trainLosses);
    const gradSeries = longest(all.filter((s) => s.role === 'grad_norm'));
    const gradSpikes = gradSeries ? this.states.get(gradSeries.key)?.spikes : undefined;
    const grad = gradSeries && gradSpikes ? { series: gradSeries, spikes: gradSpikes, window: this.opts.spike.window } : undefined;

    // Overfitting: each validation loss is paired with the training loss of the same quantity
    // (`val/box_loss` ↔ `train/box_loss`, `eval_loss` ↔ `loss`), else with the run's total training loss.
    // Total validation losses are checked when a pair exists; components only when no total pair does,
    // and then their findings are merged into one.
    const partner = (v: SeriesView): SeriesView | undefined =>
      longest(trainLosses.filter((t) => fam(t).quantity === fam(v).quantity)) ?? longest(trainTotals) ?? longest(trainLosses);
    const vals = all.filter((s) => this.states.get(s.key)?.overfitting);
    const valTotals = vals.filter((v) => fam(v).total && partner(v));
    const checkedVals = new Set(valTotals.length > 0 ? valTotals : vals);
    const best: TrainerBest | undefined = trainerBest(run, all);

    const drafts: Draft[] = [
      ...parseErrorDrafts(run.parseErrors()),
      ...resumeDrafts(run.resumes?.() ?? []),
      ...this.records.drafts(run.logitRecords()),
    ];
    const components: Draft[] = [];
    for (const s of all) {
      const st = this.states.get(s.key);
      if (!st) continue;
      if (st.nonFinite) drafts.push(...st.nonFinite.drafts(s, st.nonFinite.code === 'non-finite-loss' ? grad : undefined));
      if (st.divergence && watchedTrain.has(s)) drafts.push(...st.divergence.drafts(s));
      if (st.overfitting && checkedVals.has(s)) {
        const d = st.overfitting.drafts(s, partner(s), best);
        (valTotals.length > 0 ? drafts : components).push(...d);
      }
      if (st.spikes && (s.role !== 'train_loss' || watchedTrain.has(s))) drafts.push(...st.spikes.drafts(s));
    }
    drafts.push(...mergeComponentDrafts(components));
    drafts.push(...rankDrafts(all));
    const out: Finding[] = [];
    for (const d of drafts) {
      const sev = this.opts.severities[d.code] ?? defaultSeverity(d.code);
      if (sev === 'off') continue;
      out.push({ ...d, severity: sev as Severity, runId: run.id });
    }
    return out;
  }
}
