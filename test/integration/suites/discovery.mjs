// Discovery in a real VS Code: a workspace with a console log (`logs/train.out`), a detectron2
// `output/metrics.json` (JSON lines) with its log.txt and event file, a Hugging Face output folder (six checkpoint-N/trainer_state.json
// snapshots + runs/<name>/events.out.tfevents.*) and files that are not training logs. The workspace
// activates LossWatch by itself, the Training Runs view shows exactly three runs, and no diagnostic is
// reported twice. All text files are real (test/fixtures/real-discovery/PROVENANCE.md); the two TensorBoard event
// files are not committed: small valid ones holding the same training's values are written here (eventFile).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const name = 'discovery';
export const timeoutMs = 60000;

const FIX = fileURLToPath(new URL('../../fixtures/real-discovery/', import.meta.url));
const read = (rel) => fs.readFileSync(path.join(FIX, rel));

function hfFiles() {
  const out = {};
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(FIX, rel), { withFileTypes: true })) {
      const r = path.posix.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out[r.replace(/^hf-output\//, 'finetune/')] = read(r);
    }
  };
  walk('hf-output');
  return out;
}

// ---- a minimal TFRecord event file writer (TFRecord framing with masked CRC-32C, Event/Summary protobuf)
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
function maskedCrc(b) {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  c = (c ^ 0xffffffff) >>> 0;
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}
function varint(v) {
  const out = [];
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const lenField = (no, bytes) => [...varint(no * 8 + 2), ...varint(bytes.length), ...bytes];
const num = (size, set) => {
  const b = Buffer.alloc(size);
  set(b);
  return [...b];
};
function record(data) {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(data.length, 0);
  return Buffer.concat([head, u32(maskedCrc(head)), Buffer.from(data), u32(maskedCrc(data))]);
}
const u32 = (v) => Buffer.from(num(4, (b) => b.writeUInt32LE(v, 0)));
/** Event{wall_time, step, summary{value{tag, simple_value}}} records after a file_version record. */
function eventFile(points) {
  const recs = [record([9, ...num(8, (b) => b.writeDoubleLE(1700000000, 0)), ...lenField(3, [...Buffer.from('brain.Event:2')])])];
  for (const { step, values } of points) {
    const vals = Object.entries(values).filter(([, v]) => typeof v === 'number');
    if (vals.length === 0) continue;
    const summary = vals.flatMap(([tag, v]) =>
      lenField(1, [...lenField(1, [...Buffer.from(tag)]), 21, ...num(4, (b) => b.writeFloatLE(v, 0))]),
    );
    recs.push(record([9, ...num(8, (b) => b.writeDoubleLE(1700000000 + step, 0)), 16, ...varint(step), ...lenField(5, summary)]));
  }
  return Buffer.concat(recs);
}
const HF_EV = 'finetune/output/runs/Nov08_18-12-28_DESKTOP-MKDVHK3/events.out.tfevents.1731060804.DESKTOP-MKDVHK3.13348.0';
const D2_EV = 'output/events.out.tfevents.1756567228.fuyx.3133512.0';
function hfEvents() {
  const st = JSON.parse(read('hf-output/output/checkpoint-3000/trainer_state.json').toString('utf8'));
  return eventFile(
    st.log_history
      .filter((e) => typeof e.loss === 'number')
      .map((e) => ({
        step: e.step,
        values: { 'train/loss': e.loss, 'train/learning_rate': e.learning_rate, 'train/grad_norm': e.grad_norm },
      })),
  );
}
function d2Events() {
  const rows = read('detectron2/output/metrics.json')
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
  return eventFile(rows.map((r) => ({ step: r.iteration, values: { total_loss: r.total_loss, lr: r.lr } })));
}

export const files = {
  'logs/train.out': read('detectron2/output/log.txt'), // a detectron2 console log, saved as train.out
  'output/metrics.json': read('detectron2/output/metrics.json'),
  'output/log.txt': read('detectron2/output/log.txt'), // the same training's console log: a cross-check
  [D2_EV]: d2Events(),
  ...hfFiles(), // finetune/output/checkpoint-N/trainer_state.json
  [HF_EV]: hfEvents(), // the HF Trainer's TensorBoard file under runs/ (a cross-check of the followed snapshot)
  'requirements.txt': read('not-logs/requirements.txt'),
  'wandb/debug.log': read('not-logs/debug.log'),
  'wandb/output.log': read('not-logs/output.log'),
  'notes.csv': 'name,city\nann,x\n',
};

const manager = `const m = vscode.extensions.getExtension('losswatch.losswatch').exports.manager;`;

export const tests = [
  {
    name: 'the workspace activates LossWatch and exactly the three trainings become runs',
    async fn(vs) {
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 30000, 'activation by workspaceContains');
      const want = [vs.file('finetune/output'), vs.file('logs/train.out'), vs.file('output/metrics.json')].sort();
      const ids = await vs.waitFor(
        async () => {
          const r = await vs.host.eval(`${manager} return m.runs().map((r) => r.id).sort();`);
          return r.length >= 3 ? r : undefined;
        },
        40000,
        'three runs',
      );
      assert.deepEqual(ids, want);
      const hf = await vs.host.eval(
        `${manager} const r = m.getRun(args.id); return { files: r.files, loss: r.getSeries('loss')?.length ?? 0 };`,
        { id: vs.file('finetune/output') },
      );
      assert.deepEqual(hf.files, [vs.file('finetune/output/checkpoint-3000/trainer_state.json')], 'the longest snapshot is followed');
      assert.equal(hf.loss, 300);
      const owner = {
        'finetune/output/checkpoint-500/trainer_state.json': 'finetune/output',
        'output/log.txt': 'output/metrics.json',
        [D2_EV]: 'output/metrics.json',
        [HF_EV]: 'finetune/output',
      };
      for (const f of ['requirements.txt', 'wandb/debug.log', 'wandb/output.log', 'notes.csv', ...Object.keys(owner)]) {
        const run = await vs.host.eval(`${manager} return m.runForFile(args.f)?.id ?? null;`, { f: vs.file(f) });
        assert.equal(run, owner[f] ? vs.file(owner[f]) : null, owner[f] ? `${f} belongs to ${owner[f]}` : `${f} is not a run`);
      }
    },
  },
  {
    name: 'the Training Runs view lists the three runs once each',
    async fn(vs) {
      await vs.host.eval(`await vscode.commands.executeCommand('losswatch.runs.focus'); return true;`);
      const rows = await vs.waitFor(
        async () => {
          const t = await vs.page
            .locator('.pane-body .monaco-list-row[aria-level="1"] .label-name')
            .allInnerTexts()
            .catch(() => []);
          return t.length >= 3 ? t : undefined;
        },
        15000,
        'three rows in the Training Runs view',
      );
      const names = rows.map((t) => t.trim()).sort();
      // shortest unique paths (src/ingest/runNames.ts): the HF output folder, logs/train.out, detectron2's output/
      assert.deepEqual(names, ['finetune/output', 'logs', 'output/metrics.json'], rows.join(' | '));
      await vs.screenshot('runs-view');
    },
  },
  {
    name: 'no diagnostic is reported twice, none on the event file or a shorter snapshot',
    async fn(vs) {
      // wait until the runs have been checked (findings settle), then compare
      await vs.waitFor(async () => (await vs.host.eval(`${manager} return m.allFindings().length;`)) >= 3, 15000, 'findings for every run');
      const ds = (await vs.diagnostics()).filter((d) => d.source === 'LossWatch');
      const keys = ds.map((d) => `${d.file}:${d.line}:${d.code}:${d.message}`);
      assert.equal(new Set(keys).size, keys.length, `doubled: ${keys.filter((k, i) => keys.indexOf(k) !== i).join('\n')}`);
      const bad = ds.filter(
        (d) =>
          d.file.includes(`${path.sep}runs${path.sep}`) ||
          (d.file.includes('checkpoint-') && !d.file.includes('checkpoint-3000')) ||
          d.file === vs.file('output/log.txt') ||
          d.file.includes('tfevents'),
      );
      assert.deepEqual(bad, []);
      const perRun = await vs.host.eval(
        `${manager} return m.allFindings().map((f) => [f.runId, f.findings.map((x) => x.code + '@' + x.line).sort()]);`,
      );
      for (const [, codes] of perRun) assert.equal(new Set(codes).size, codes.length, `doubled finding in a run: ${codes.join(', ')}`);
    },
  },
  {
    name: 'checkpoint rotation while VS Code is open: the HF run follows the longest snapshot left, still one run',
    async fn(vs) {
      fs.rmSync(vs.file('finetune/output/checkpoint-3000'), { recursive: true });
      const hf = await vs.waitFor(
        async () => {
          const r = await vs.host.eval(
            `${manager} const r = m.getRun(args.id); return r ? { files: r.files, loss: r.getSeries('loss')?.length ?? 0, runs: m.runs().length } : null;`,
            { id: vs.file('finetune/output') },
          );
          return r && r.files[0] === vs.file('finetune/output/checkpoint-2500/trainer_state.json') && r.loss === 250 ? r : undefined;
        },
        20000,
        'checkpoint-2500 followed',
      );
      assert.equal(hf.runs, 3);
    },
  },
];
