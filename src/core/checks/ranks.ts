// Multi-rank runs (one series per rank: `rank0/grad_norm`, `rank1/grad_norm`, …; see the discovery
// module's run grouping).
// rank-desync: in data-parallel training the gradients are all-reduced before the optimizer step, so the
// gradient norm every rank logs for a step is the same number; ranks that differ (relative 1e-4) are
// out of sync (a rank skipped the all-reduce, used other weights, or logs another step under this one).
// rank-stalled: a rank whose last logged step is behind the others by ≥ STALL_POINTS of their points
// (a hung data loader, a dead logger, a crashed process the others have not noticed yet).
import { rankOfKey } from '../../ingest/roles';
import type { SeriesView } from '../model';
import { atPoint, relatedAt, type Draft } from './draft';
import { at, name, num } from './format';

export const DESYNC_REL = 1e-4;
export const STALL_POINTS = 10;

interface RankSeries {
  rank: number;
  base: string;
  s: SeriesView;
}

function bySeriesBase(all: readonly SeriesView[]): Map<string, RankSeries[]> {
  const out = new Map<string, RankSeries[]>();
  for (const s of all) {
    const rank = rankOfKey(s.key);
    if (rank === undefined) continue;
    const base = s.key.slice(s.key.indexOf('/') + 1);
    let l = out.get(base);
    if (!l) out.set(base, (l = []));
    l.push({ rank, base, s });
  }
  for (const l of out.values()) l.sort((a, b) => a.rank - b.rank);
  return out;
}

/** The drafts of both rank checks for the series of one run (nothing when the run has no ranks). */
export function rankDrafts(all: readonly SeriesView[]): Draft[] {
  const groups = bySeriesBase(all);
  if (groups.size === 0) return [];
  const out: Draft[] = [];
  // rank-desync: each rank's gradient norm against the lowest rank's, step by step (both in step order)
  for (const list of groups.values()) {
    if (list.length < 2 || list[0]!.s.role !== 'grad_norm') continue;
    const ref = list[0]!;
    for (const other of list.slice(1)) {
      const a = ref.s;
      const b = other.s;
      let i = 0;
      let j = 0;
      let first = -1;
      let firstI = -1;
      let count = 0;
      let compared = 0;
      while (i < a.length && j < b.length) {
        const sa = a.step(i);
        const sb = b.step(j);
        if (sa < sb) i++;
        else if (sb < sa) j++;
        else {
          const x = a.value(i);
          const y = b.value(j);
          if (Number.isFinite(x) && Number.isFinite(y)) {
            compared++;
            if (Math.abs(x - y) > DESYNC_REL * Math.max(Math.abs(x), Math.abs(y))) {
              if (first < 0) {
                first = j;
                firstI = i;
              }
              count++;
            }
          }
          i++;
          j++;
        }
      }
      if (first < 0) continue;
      const x = a.value(firstI);
      const y = b.value(first);
      out.push(
        atPoint(
          'rank-desync',
          b,
          first,
          `Rank ${other.rank} is out of sync with rank ${ref.rank}: gradient norm '${name(other.base)}' ${num(y)} vs ${num(x)} at ${at(b.step(first), b.provenance(first))} ` +
            `(relative difference ${num(Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)))} > ${DESYNC_REL}); ${count} of ${compared} common steps differ. ` +
            'After the all-reduce of data-parallel training every rank has the same gradients: a rank skipped the synchronisation (no_sync, unused parameters), trains other weights or logs another step.',
          [relatedAt(a, firstI, `rank ${ref.rank}: ${num(x)}`)],
        ),
      );
    }
  }
  // rank-stalled: per rank its furthest step (over its series) and the series that reached it
  const last = new Map<number, { step: number; s: SeriesView }>();
  for (const list of groups.values()) {
    for (const r of list) {
      if (r.s.length === 0) continue;
      const st = r.s.step(r.s.length - 1);
      const cur = last.get(r.rank);
      if (!cur || st > cur.step || (st === cur.step && r.s.length > cur.s.length)) last.set(r.rank, { step: st, s: r.s });
    }
  }
  if (last.size < 2) return out;
  let lead: { rank: number; step: number; s: SeriesView } | undefined;
  for (const [rank, v] of last) if (!lead || v.step > lead.step) lead = { rank, ...v };
  for (const [rank, v] of last) {
    if (rank === lead!.rank || v.step >= lead!.step) continue;
    // points the leader logged after this rank's last step
    const ls = lead!.s;
    let lo = 0;
    let hi = ls.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ls.step(mid) <= v.step) lo = mid + 1;
      else hi = mid;
    }
    const ahead = ls.length - lo;
    if (ahead < STALL_POINTS) continue;
    const i = v.s.length - 1;
    out.push(
      atPoint(
        'rank-stalled',
        v.s,
        i,
        `Rank ${rank} stopped writing at ${at(v.step, v.s.provenance(i))} while rank ${lead!.rank} went on to step ${lead!.step} (${ahead} more points). ` +
          'A rank that falls behind is hung (data loader, deadlock in a collective) or dead; the others block at the next all-reduce.',
        [relatedAt(ls, ls.length - 1, `rank ${lead!.rank} is at step ${lead!.step}`)],
      ),
    );
  }
  return out;
}

/** rank-stalled by time: a rank is stalled after max(minimum, STALL_INTERVALS × the run's typical write interval). */
export const STALL_INTERVALS = 10;
/** Default minimum silence before a rank counts as stalled by time (setting losswatch.checks.rankStall.seconds). */
export const STALL_MIN_MS = 60_000;

/**
 * Watch mode: when each rank of a run last wrote, to find a rank whose log stopped growing while the other
 * ranks keep writing (rank-stalled by time). The times are passed in (the caller's clock): the core never
 * reads the time, so tests are deterministic. Writes are the updates that brought points to a rank's series.
 */
export class RankActivity {
  /** rank → time of its last write */
  private readonly last = new Map<number, number>();
  /** rank → typical interval between its writes (exponential moving average; absent before a second write) */
  private readonly interval = new Map<number, number>();

  /** The series `keys` got points at time `now` (keys of no rank are ignored). */
  wrote(keys: Iterable<string>, now: number): void {
    const seen = new Set<number>();
    for (const k of keys) {
      const r = rankOfKey(k);
      if (r === undefined || seen.has(r)) continue;
      seen.add(r);
      const before = this.last.get(r);
      if (before !== undefined && now > before) {
        const gap = now - before;
        const avg = this.interval.get(r);
        this.interval.set(r, avg === undefined ? gap : 0.8 * avg + 0.2 * gap);
      }
      if (before === undefined || now > before) this.last.set(r, now);
    }
  }

  /** Forgets every rank (the run was reset or re-read). */
  clear(): void {
    this.last.clear();
    this.interval.clear();
  }

  /** Silence after which a rank is stalled: max(minMs, STALL_INTERVALS × median typical interval of the ranks). */
  thresholdMs(minMs: number): number {
    const iv = [...this.interval.values()].sort((a, b) => a - b);
    const typical = iv.length ? iv[(iv.length - 1) >> 1]! : 0;
    return Math.max(minMs, STALL_INTERVALS * typical);
  }

  /**
   * rank-stalled drafts for ranks that have not written for longer than the threshold while another rank
   * wrote after that long (the lead rank's last write − this rank's last write). A rank that writes again
   * is no longer stalled. `all`: the run's series (the draft sits on the rank's last point).
   */
  drafts(all: readonly SeriesView[], minMs: number): Draft[] {
    if (this.last.size < 2) return [];
    let leadRank = -1;
    let leadAt = -Infinity;
    for (const [r, t] of this.last) if (t > leadAt) [leadRank, leadAt] = [r, t];
    const limit = this.thresholdMs(minMs);
    const out: Draft[] = [];
    const stalled = [...this.last].filter(([r, t]) => r !== leadRank && leadAt - t > limit);
    if (stalled.length === 0) return out;
    const groups = bySeriesBase(all);
    for (const [rank, t] of stalled.sort((a, b) => a[0] - b[0])) {
      // the rank's furthest point (over its series) and the lead rank's
      const pick = (r: number): SeriesView | undefined => {
        let best: SeriesView | undefined;
        for (const list of groups.values())
          for (const x of list) {
            if (x.rank !== r || x.s.length === 0) continue;
            const st = x.s.step(x.s.length - 1);
            if (!best || st > best.step(best.length - 1) || (st === best.step(best.length - 1) && x.s.length > best.length)) best = x.s;
          }
        return best;
      };
      const s = pick(rank);
      if (!s) continue;
      const lead = pick(leadRank);
      const i = s.length - 1;
      const secs = Math.floor((leadAt - t) / 1000);
      out.push(
        atPoint(
          'rank-stalled',
          s,
          i,
          `Rank ${rank} has not written for ${secs} s (last at ${at(s.step(i), s.provenance(i))}) while rank ${leadRank} kept writing ` +
            `(threshold ${num(limit / 1000)} s: setting losswatch.checks.rankStall.seconds, or ${STALL_INTERVALS} × the ranks' typical write interval). ` +
            'A rank that stops writing is hung (data loader, deadlock in a collective) or dead; the others block at the next all-reduce.',
          lead && lead.length ? [relatedAt(lead, lead.length - 1, `rank ${leadRank} is at step ${lead.step(lead.length - 1)}`)] : undefined,
        ),
      );
    }
    return out;
  }
}
