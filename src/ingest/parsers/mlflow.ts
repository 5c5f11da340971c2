// MLflow file store: mlruns/<experiment>/<run>/metrics/<key>, one point per line: `timestamp value step`
// (timestamp in ms). The series key is the metric file's path under metrics/ (keys may contain '/').
import type { Split } from '../../core/model';
import { nonFinite } from '../fields';
import type { LineParser, Sink } from '../sink';
import { utf8 } from '../sink';

export class MlflowMetricParser implements LineParser {
  private id = -1;
  constructor(
    private readonly sink: Sink,
    private readonly key: string,
    private readonly hint: Split = 'none',
  ) {}

  reset(): void {
    this.id = -1;
  }

  line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    const text = utf8(b, s, e).trim();
    if (text === '') return;
    const parts = text.split(/\s+/);
    if (parts.length < 2 || parts.length > 3) {
      this.sink.error(`line ${lineNo}: expected 'timestamp value step'`, lineNo);
      return;
    }
    const ts = Number(parts[0]);
    const v = nonFinite(parts[1]!) ?? Number(parts[1]);
    const step = parts.length === 3 ? Number(parts[2]) : 0;
    if (
      !Number.isFinite(ts) ||
      (v === v && nonFinite(parts[1]!) === undefined && !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(parts[1]!)) ||
      !Number.isFinite(step)
    ) {
      this.sink.error(`line ${lineNo}: expected 'timestamp value step', got '${text.slice(0, 80)}'`, lineNo);
      return;
    }
    if (Number.isNaN(v) && nonFinite(parts[1]!) === undefined) {
      this.sink.error(`line ${lineNo}: bad value '${parts[1]!.slice(0, 40)}'`, lineNo);
      return;
    }
    if (this.id < 0) this.id = this.sink.series(this.key, this.hint);
    this.sink.point(this.id, step, v, ts, NaN, lineNo);
  }
}
