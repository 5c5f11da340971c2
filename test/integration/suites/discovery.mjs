// Discovery in a real VS Code: a workspace with a console log (`logs/train.out`), a detectron2
// `output/metrics.json` (JSON lines) with its log.txt and event file, a Hugging Face output folder (six checkpoint-N/trainer_state.json
// snapshots + runs/<name>/events.out.tfevents.*) and files that are not training logs. The workspace
// activates LossWatch by itself, the Training Runs view shows exactly three runs, and no diagnostic is
// reported twice. All files are real (test/fixtures/real-discovery/PROVENANCE.md).
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

export const files = {
  'logs/train.out': read('detectron2/output/log.txt'), // a detectron2 console log, saved as train.out
  'output/metrics.json': read('detectron2/output/metrics.json'),
  'output/log.txt': read('detectron2/output/log.txt'), // the same training's console log: a cross-check
  'output/events.out.tfevents.1756567228.fuyx.3133512.0': read('detectron2/output/events.out.tfevents.1756567228.fuyx.3133512.0'),
  ...hfFiles(), // finetune/output/checkpoint-N/trainer_state.json, finetune/output/runs/…/events.out.tfevents.…
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
      const ids = await vs.waitFor(async () => {
        const r = await vs.host.eval(`${manager} return m.runs().map((r) => r.id).sort();`);
        return r.length >= 3 ? r : undefined;
      }, 40000, 'three runs');
      assert.deepEqual(ids, want);
      const hf = await vs.host.eval(`${manager} const r = m.getRun(args.id); return { files: r.files, loss: r.getSeries('loss')?.length ?? 0 };`, { id: vs.file('finetune/output') });
      assert.deepEqual(hf.files, [vs.file('finetune/output/checkpoint-3000/trainer_state.json')], 'the longest snapshot is followed');
      assert.equal(hf.loss, 300);
      const owner = {
        'finetune/output/checkpoint-500/trainer_state.json': 'finetune/output',
        'output/log.txt': 'output/metrics.json',
        'output/events.out.tfevents.1756567228.fuyx.3133512.0': 'output/metrics.json',
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
      const rows = await vs.waitFor(async () => {
        const t = await vs.page.locator('.pane-body .monaco-list-row[aria-level="1"] .label-name').allInnerTexts().catch(() => []);
        return t.length >= 3 ? t : undefined;
      }, 15000, 'three rows in the Training Runs view');
      const names = rows.map((t) => t.trim()).sort();
      assert.deepEqual(names, ['output', 'output/metrics.json', 'train.out'], rows.join(' | '));
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
      const bad = ds.filter((d) => d.file.includes(`${path.sep}runs${path.sep}`) || (d.file.includes('checkpoint-') && !d.file.includes('checkpoint-3000')) || d.file === vs.file('output/log.txt') || d.file.includes('tfevents'));
      assert.deepEqual(bad, []);
      const perRun = await vs.host.eval(`${manager} return m.allFindings().map((f) => [f.runId, f.findings.map((x) => x.code + '@' + x.line).sort()]);`);
      for (const [, codes] of perRun) assert.equal(new Set(codes).size, codes.length, `doubled finding in a run: ${codes.join(', ')}`);
    },
  },
  {
    name: 'checkpoint rotation while VS Code is open: the HF run follows the longest snapshot left, still one run',
    async fn(vs) {
      fs.rmSync(vs.file('finetune/output/checkpoint-3000'), { recursive: true });
      const hf = await vs.waitFor(async () => {
        const r = await vs.host.eval(`${manager} const r = m.getRun(args.id); return r ? { files: r.files, loss: r.getSeries('loss')?.length ?? 0, runs: m.runs().length } : null;`, { id: vs.file('finetune/output') });
        return r && r.files[0] === vs.file('finetune/output/checkpoint-2500/trainer_state.json') && r.loss === 250 ? r : undefined;
      }, 20000, 'checkpoint-2500 followed');
      assert.equal(hf.runs, 3);
    },
  },
];
