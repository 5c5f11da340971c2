// In-memory RunView / SeriesView / manager for dashboard unit tests and the webview bench.
import type { Finding, Provenance, Role, RunView, SeriesView, Split } from '../../../src/core/model';
import type { DashboardManager } from '../../../src/extension/dashboardCore';

export class FakeSeries implements SeriesView {
  steps: number[] = [];
  values: number[] = [];
  walls: number[] = [];
  epochs: number[] = [];
  lines: number[] = [];
  constructor(
    readonly key: string,
    readonly role: Role,
    readonly file: string,
    readonly name: string = key,
    readonly split: Split = role.startsWith('val') ? 'val' : 'train',
  ) {}
  get length(): number {
    return this.values.length;
  }
  push(step: number, value: number, wall = NaN, epoch = NaN, line = this.values.length + 1): void {
    this.steps.push(step);
    this.values.push(value);
    this.walls.push(wall);
    this.epochs.push(epoch);
    this.lines.push(line);
  }
  step(i: number): number {
    return this.steps[i];
  }
  value(i: number): number {
    return this.values[i];
  }
  wall(i: number): number {
    return this.walls[i];
  }
  epoch(i: number): number {
    return this.epochs[i];
  }
  provenance(i: number): Provenance {
    return { file: this.file, line: this.lines[i] };
  }
  /** Bulk reads like the run store's (set `bulk = false` to test the per-point fallback). */
  bulk = true;
  get readInto(): SeriesView['readInto'] {
    if (!this.bulk) return undefined;
    return (column, from, n, out) => {
      const a = column === 'step' ? this.steps : this.values;
      const end = Math.min(a.length, from + n, from + out.length);
      for (let i = Math.max(0, from); i < end; i++) out[i - from] = a[i];
    };
  }
}

export class FakeRun implements RunView {
  readonly list: FakeSeries[] = [];
  generation = 0;
  format = 'jsonl';
  meta: Record<string, number | string> = {};
  findingsList: Finding[] = [];
  constructor(
    readonly id: string,
    readonly name: string,
    readonly root: string,
  ) {}
  get files(): readonly string[] {
    return [this.root];
  }
  add(s: FakeSeries): FakeSeries {
    this.list.push(s);
    return s;
  }
  series(): readonly SeriesView[] {
    return this.list;
  }
  getSeries(key: string): SeriesView | undefined {
    return this.list.find((s) => s.key === key);
  }
  logitRecords() {
    return [];
  }
  parseErrors() {
    return [];
  }
}

export class FakeManager implements DashboardManager {
  readonly list: FakeRun[] = [];
  runs(): readonly RunView[] {
    return this.list;
  }
  getRun(id: string): RunView | undefined {
    return this.list.find((r) => r.id === id);
  }
  findings(id: string): readonly Finding[] {
    return this.list.find((r) => r.id === id)?.findingsList ?? [];
  }
  isWatchedFile(p: string): boolean {
    return this.list.some((r) => r.files.includes(p));
  }
}
