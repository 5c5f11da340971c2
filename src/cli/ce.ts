// losswatch ce — recompute softmax cross-entropy (PyTorch semantics) and its gradient norm from .npy files.
import { readNpy } from '../core/npy';
import { softmaxCrossEntropy, type CrossEntropyOptions } from '../core/crossEntropy';
import type { NDArray, Reduction } from '../core/model';

const USAGE = `usage: losswatch ce --logits <file.npy> --labels <file.npy> [options]

  --logits <f.npy>          logits [N, C] or [N, C, d…] (classes on axis 1)
  --labels <f.npy>          class indices [N] / [N, d…], or probabilities with the logits' shape
  --weight <f.npy>          per-class weight [C]
  --ignore-index <k>        ignored class index (default -100)
  --label-smoothing <x>     in [0, 1] (default 0)
  --reduction mean|sum|none (default mean)
  --format json|text        (default json)

JSON output: loss (number, or array for --reduction none), gradNorm, maxAbsGrad, perSampleGradNorm,
and the settings used. Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".
Exit 0 on success, 2 on bad input (one error line on stderr).`;

class UsageError extends Error {}

function jsonNum(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const known = new Set(['logits', 'labels', 'weight', 'ignore-index', 'label-smoothing', 'reduction', 'format']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    let key = a.slice(2);
    let val: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      val = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    if (!known.has(key)) throw new UsageError(`unknown option '--${key}'`);
    if (val === undefined) {
      val = argv[++i];
      if (val === undefined) throw new UsageError(`option '--${key}' needs a value`);
    }
    out[key] = val;
  }
  return out;
}

function toNumber(s: string, what: string, integer: boolean): number {
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new UsageError(`${what} must be ${integer ? 'an integer' : 'a number'}, got '${s}'`);
  }
  return v;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  try {
    const a = parseArgs(argv);
    if (!a.logits) throw new UsageError('missing --logits <file.npy>');
    if (!a.labels) throw new UsageError('missing --labels <file.npy>');
    const format = a.format ?? 'json';
    if (format !== 'json' && format !== 'text') throw new UsageError(`--format must be json or text, got '${format}'`);
    const reduction = (a.reduction ?? 'mean') as Reduction;
    if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
      throw new UsageError(`--reduction must be mean, sum or none, got '${a.reduction}'`);
    }
    const ignoreIndex = a['ignore-index'] !== undefined ? toNumber(a['ignore-index'], '--ignore-index', true) : -100;
    const labelSmoothing = a['label-smoothing'] !== undefined ? toNumber(a['label-smoothing'], '--label-smoothing', false) : 0;
    const logits: NDArray = readNpy(a.logits);
    const labels: NDArray = readNpy(a.labels);
    const weight = a.weight ? readNpy(a.weight) : undefined;
    if (logits.dtype === 'b1' || logits.dtype[0] === 'i' || logits.dtype[0] === 'u') {
      throw new UsageError(`${a.logits}: logits must be floating point, got dtype ${logits.dtype}`);
    }
    const opts: CrossEntropyOptions = { weight, ignoreIndex, labelSmoothing, reduction };
    let r;
    try {
      r = softmaxCrossEntropy(logits, labels, opts);
    } catch (e) {
      throw new UsageError(`${a.labels}: ${(e as Error).message}`);
    }
    const loss = typeof r.loss === 'number' ? jsonNum(r.loss) : Array.from(r.loss, jsonNum);
    if (format === 'json') {
      const out = {
        loss,
        gradNorm: jsonNum(r.gradNorm),
        maxAbsGrad: jsonNum(r.maxAbsGrad),
        perSampleGradNorm: Array.from(r.perSampleGradNorm, jsonNum),
        reduction,
        targetKind: r.targetKind,
        ignoreIndex,
        labelSmoothing,
        totalWeight: jsonNum(r.totalWeight),
        logitsShape: [...logits.shape],
        lossShape: r.lossShape,
      };
      process.stdout.write(JSON.stringify(out) + '\n');
    } else {
      const lossText = typeof r.loss === 'number' ? String(r.loss) : `[${Array.from(r.loss).join(', ')}]`;
      process.stdout.write(
        `loss        ${lossText}\n` +
          `gradNorm    ${r.gradNorm}\n` +
          `maxAbsGrad  ${r.maxAbsGrad}\n` +
          `targets     ${r.targetKind}, reduction ${reduction}, ignore_index ${ignoreIndex}, label_smoothing ${labelSmoothing}\n` +
          `logits      [${logits.shape.join(', ')}] ${logits.dtype}\n`,
      );
    }
    return 0;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`losswatch ce: ${msg.replace(/\s*\n\s*/g, ' ')} (see 'losswatch ce --help')\n`);
    return 2;
  }
}
