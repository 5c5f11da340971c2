// parse-error: one finding per file with malformed records (counted by ingest).
import type { ParseErrorSummary } from '../model';
import type { Draft } from './draft';
import { plural } from './format';

export function parseErrorDrafts(errors: readonly ParseErrorSummary[]): Draft[] {
  const out: Draft[] = [];
  for (const e of errors) {
    if (!(e.count > 0)) continue;
    const where =
      e.firstLine !== undefined ? `line ${e.firstLine}` : e.firstRecord !== undefined ? `record ${e.firstRecord}` : 'an unknown place';
    const first = e.firstMessage.replace(/\s+/g, ' ').trim().slice(0, 200);
    const d: { -readonly [K in keyof Draft]: Draft[K] } = {
      code: 'parse-error',
      file: e.file,
      message:
        `${plural(e.count, 'malformed record')} skipped in this file; the first at ${where}: ${first}. ` +
        'The points on those records are missing from the charts and checks. A partly written last line is normal while a run is live; otherwise check the logger (one complete JSON object / CSV row per line) or force the right parser with losswatch.formatOverrides.',
    };
    if (e.firstLine !== undefined) {
      d.line = e.firstLine;
      d.column = 1;
    }
    out.push(d);
  }
  return out;
}
