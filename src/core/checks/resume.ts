// run-resumed: where the step went back inside a log file (a resumed or restarted run appending to the
// same log). Ingest keeps the later points (they replace the overlapped range); this says so at the line.
import type { ResumeInfo } from '../model';
import type { Draft } from './draft';
import { name } from './format';

export function resumeDrafts(resumes: readonly ResumeInfo[]): Draft[] {
  const out: Draft[] = [];
  for (const r of resumes) {
    const where = r.line !== undefined ? `line ${r.line}` : r.record !== undefined ? `record ${r.record}` : 'an unknown place';
    // losses first: the series a reader looks for
    const ordered = [...r.series].sort((a, b) => Number(/loss/i.test(b)) - Number(/loss/i.test(a)));
    const keys =
      ordered
        .slice(0, 4)
        .map((k) => `'${name(k)}'`)
        .join(', ') + (r.series.length > 4 ? `, … ${r.series.length} series` : '');
    const d: { -readonly [K in keyof Draft]: Draft[K] } = {
      code: 'run-resumed',
      file: r.file,
      step: r.step,
      message:
        `Run resumed at step ${r.step} (${where}): the log goes back from step ${r.fromStep} (${keys}). ` +
        `The later points replace the ${r.dropped === 1 ? 'point' : `${r.dropped} points`} logged before from step ${r.step} on, so charts and checks show each step once.`,
    };
    if (r.line !== undefined) {
      d.line = r.line;
      d.column = 1;
    }
    out.push(d);
  }
  return out;
}
