// Names from logs that are also Object.prototype members (`constructor`, `__proto__`, `toString`, …) as
// metric, split and metadata names: through every parser and the CLI, each is an ordinary series.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { csvCell } from '../../src/extension/dashboardCore';
import { loadRuns } from '../../src/ingest/index';
import { cli, tmpDir } from './helpers';

const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__', 'isPrototypeOf'];

interface SeriesJson {
  runs: { format: string; series: { key: string; split: string; points: number; last: { value: number } }[] }[];
}

describe('security: prototype-member names from logs', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = tmpDir();
    const rec = (step: number, extra: Record<string, unknown> = {}): string => {
      // built as text: a JS object literal would swallow `__proto__`
      const fields = [
        `"step": ${step}`,
        ...NAMES.map((n, i) => `"${n}": ${i + step}`),
        ...Object.entries(extra).map(([k, v]) => `"${k}": ${JSON.stringify(v)}`),
      ];
      return `{${fields.join(', ')}}`;
    };
    fs.mkdirSync(path.join(dir, 'jsonl'));
    fs.writeFileSync(
      path.join(dir, 'jsonl', 'log.jsonl'),
      [rec(1), rec(2), rec(3, { split: 'constructor' }), rec(4, { split: '__proto__' })].join('\n') + '\n',
    );
    fs.mkdirSync(path.join(dir, 'csv'));
    fs.writeFileSync(
      path.join(dir, 'csv', 'metrics.csv'),
      `step,${NAMES.join(',')}\n1,${NAMES.map((_, i) => i + 1).join(',')}\n2,${NAMES.map((_, i) => i + 2).join(',')}\n`,
    );
    fs.mkdirSync(path.join(dir, 'hf'));
    fs.writeFileSync(
      path.join(dir, 'hf', 'trainer_state.json'),
      `{"log_history": [${rec(1)}, ${rec(2)}, {"train_runtime": 1, "__proto__": 5, "constructor": "x", "toString": 2}], "__proto__": 1}`,
    );
    const ml = path.join(dir, 'mlruns', '0', 'run1', 'metrics');
    fs.mkdirSync(path.join(ml, '__proto__'), { recursive: true });
    for (const n of NAMES) if (n !== '__proto__') fs.writeFileSync(path.join(ml, n), '1700000000000 1.5 1\n1700000001000 2.5 2\n');
    fs.writeFileSync(path.join(ml, '__proto__', 'constructor'), '1700000000000 1.5 1\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('jsonl, csv, hf, mlruns: `losswatch series` (json and text) and `check` (json, github) do not crash; every name is a series', async () => {
    const subs = ['jsonl', 'csv', 'hf', 'mlruns'];
    const targets = subs.map((sub) => path.join(dir, sub));
    const r = await cli(['series', '--format', 'json', ...targets]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as SeriesJson;
    assert.deepEqual(j.runs.map((x) => x.format).sort(), ['csv', 'hf-trainer-state', 'jsonl', 'mlflow']);
    for (const run of j.runs) {
      const keys = new Set(run.series.map((s) => s.key));
      for (const n of NAMES)
        assert.ok(
          [...keys].some((k) => k === n || k.endsWith(`/${n}`) || k.startsWith(`${n}/`)),
          `${run.format}: no series ${n} in ${[...keys].join(', ')}`,
        );
      for (const s of run.series) {
        assert.equal(typeof s.split, 'string', `${run.format} ${s.key}: split ${JSON.stringify(s.split)}`);
        assert.equal(typeof s.points, 'number');
      }
    }
    const t = await cli(['series', ...targets]);
    assert.equal(t.code, 0, t.err);
    for (const format of ['json', 'github']) {
      const c = await cli(['check', '--format', format, ...targets]);
      assert.ok(c.code === 0 || c.code === 1, `check --format ${format}: exit ${c.code}: ${c.err}`);
      if (format === 'json') assert.ok(Array.isArray(JSON.parse(c.out)));
    }
  });

  it('loaded directly: values per name are the logged ones; metadata named __proto__ is data, not a prototype', async () => {
    const [hf] = await loadRuns([path.join(dir, 'hf', 'trainer_state.json')]);
    for (const [i, n] of NAMES.entries()) assert.equal(hf!.getSeries(n)?.value(1), i + 2, n);
    const meta = (hf as unknown as { meta: Record<string, unknown> }).meta;
    assert.equal(Object.getPrototypeOf(meta), null);
    assert.equal(meta['__proto__'], 5);
    assert.equal(meta['constructor'], 'x');
    const [jl] = await loadRuns([path.join(dir, 'jsonl', 'log.jsonl')]);
    assert.equal(jl!.getSeries('__proto__')?.length, 2);
    assert.ok(jl!.series().every((s) => typeof s.split === 'string'));
  });
});

describe('security: JSONL repeated keys and CSV export cells', () => {
  it('{"loss":1,"loss":2} gives one point with value 2, like JSON.parse (fast path and template lines)', async () => {
    const dir = tmpDir();
    try {
      const f = path.join(dir, 'dup.jsonl');
      const lines = [
        '{"step": 1, "loss": 1, "loss": 2}',
        '{"step": 2, "loss": 3}',
        '{"step": 3, "loss": 4}',
        '{"step": 4, "loss": 5, "acc": 1, "loss": 6}',
        '{"step": 5, "step": 6, "loss": 7}',
      ];
      fs.writeFileSync(f, lines.join('\n') + '\n');
      const [run] = await loadRuns([f]);
      const s = run!.getSeries('loss')!;
      const got = Array.from({ length: s.length }, (_, i) => [s.step(i), s.value(i)]);
      const want = lines.map((l) => JSON.parse(l) as { step: number; loss: number }).map((o) => [o.step, o.loss]);
      assert.deepEqual(got, want);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('csvCell neutralises formulas also after leading space, NUL, BOM, and TAB/CR/LF and fullwidth ＝＋－＠', () => {
    for (const s of [
      '=1+1',
      '+1',
      '-1',
      '@SUM(A1)',
      ' =cmd()',
      '\u0000=cmd()',
      '\ufeff=cmd()',
      '\t=x',
      '\rx',
      '\nx',
      '＝1+1',
      '＋1',
      '－1',
      '＠x',
      '  \t@x',
    ]) {
      const c = csvCell(s);
      const inner = c.startsWith('"') ? c.slice(1, -1).replace(/""/g, '"') : c;
      assert.ok(inner.startsWith("'"), `${JSON.stringify(s)} → ${JSON.stringify(c)}`);
      assert.equal(inner.slice(1), s);
    }
    for (const s of ['loss', 'val/loss', 'a=b', 'x-1']) assert.equal(csvCell(s), s);
  });
});

describe('security: prototype-member names in the dashboard', () => {
  it('series named __proto__ / constructor / toString reach the frame and the CSV export', async () => {
    const { DashboardSession } = await import('../../src/extension/dashboardCore');
    const { DEFAULT_STATE } = await import('../../src/shared/messages');
    const { FakeManager, FakeRun, FakeSeries } = await import('../unit/dashboard/fake');
    const m = new FakeManager();
    const run = new FakeRun('__proto__', 'constructor', '/ws/toString.jsonl');
    for (const n of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const s = run.add(new FakeSeries(n, 'train_loss', '/ws/toString.jsonl'));
      for (let i = 0; i < 5; i++) s.push(i, i + n.length);
    }
    m.list.push(run);
    const posted: { type: string; series?: { key: string }[] }[] = [];
    const session = new DashboardSession(
      m,
      {
        post: (msg) => posted.push(JSON.parse(JSON.stringify(msg))),
        openFile: () => undefined,
        save: () => undefined,
        warn: () => undefined,
      },
      DEFAULT_STATE,
      {
        now: () => 0,
        setTimeout: () => 0,
        clearTimeout: () => undefined,
      },
    );
    session.handleMessage({ type: 'ready', state: null, columns: 100 });
    const frame = posted.find((p) => p.type === 'frame');
    assert.ok(frame, JSON.stringify(posted.map((p) => p.type)));
    const keys = frame.series!.map((s) => s.key).sort();
    assert.deepEqual(keys, ['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
    const csv = session.csv();
    for (const n of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) assert.match(csv, new RegExp(`^toString,${n},4,4,`, 'm')); // the run is named by its path (toString.jsonl)
  });
});
