import assert from 'node:assert/strict';
import { namedInput, runNames, RunNamer, type NamedRunInput } from '../../../src/ingest/runNames';

const W = '/ws';
const file = (rel: string): NamedRunInput => ({ id: rel, root: `${W}/${rel}`, isFile: true });
const dir = (rel: string, hint?: string): NamedRunInput => ({ id: rel, root: `${W}/${rel}`, isFile: false, hint });
const names = (runs: NamedRunInput[], folders = [W]) => Object.fromEntries([...runNames(runs, folders)].map(([id, n]) => [id, n.name]));

describe('run names', () => {
  it('names a run by its folder when the file name is generic', () => {
    assert.deepEqual(names([file('nan/train.jsonl'), file('sweep/lr_0.001_seed3/metrics.csv'), file('runs/baseline/train.jsonl')]), {
      'nan/train.jsonl': 'nan',
      'sweep/lr_0.001_seed3/metrics.csv': 'lr_0.001_seed3',
      'runs/baseline/train.jsonl': 'baseline',
    });
  });
  it('three train.jsonl in different folders get three different short names', () => {
    const r = names([file('a/x/train.jsonl'), file('b/x/train.jsonl'), file('c/train.jsonl')]);
    assert.deepEqual(r, { 'a/x/train.jsonl': 'a/x', 'b/x/train.jsonl': 'b/x', 'c/train.jsonl': 'c' });
  });
  it('uses a meaningful file stem, and the file name for two generic files in one folder', () => {
    assert.deepEqual(names([file('runs/resnet50.jsonl'), file('runs/vit.jsonl')]), {
      'runs/resnet50.jsonl': 'resnet50',
      'runs/vit.jsonl': 'vit',
    });
    assert.deepEqual(names([file('exp/metrics.csv'), file('exp/train.jsonl')]), {
      'exp/metrics.csv': 'exp/metrics.csv',
      'exp/train.jsonl': 'exp/train.jsonl',
    });
    assert.deepEqual(names([file('exp/a.jsonl'), file('exp/a.csv')]), { 'exp/a.jsonl': 'exp/a.jsonl', 'exp/a.csv': 'exp/a.csv' });
  });
  it('folder runs (TensorBoard, MLflow run_name)', () => {
    assert.deepEqual(names([dir('tb/run1'), dir('mlruns/0/0123abcd', 'lr-sweep-3')]), {
      'tb/run1': 'run1',
      'mlruns/0/0123abcd': 'lr-sweep-3',
    });
  });
  it('groups by the folder part not in the name', () => {
    const r = runNames([file('sweep/lr_0.001_seed3/metrics.csv'), file('nan/train.jsonl')], [W]);
    assert.equal(r.get('sweep/lr_0.001_seed3/metrics.csv')!.group, 'sweep');
    assert.equal(r.get('nan/train.jsonl')!.group, '');
  });
  it('names are unique for 1,000 runs in a sweep and independent of input order', () => {
    const runs: NamedRunInput[] = [];
    for (let i = 0; i < 1000; i++) runs.push(file(`sweep${i % 3}/seed${i % 10}/lr${Math.floor(i / 30)}/train.jsonl`));
    const uniq = new Map(runs.map((r) => [r.id, r]));
    const list = [...uniq.values()];
    const a = runNames(list, [W]);
    const b = runNames([...list].reverse(), [W]);
    assert.equal(new Set([...a.values()].map((n) => n.name)).size, list.length);
    for (const r of list) assert.equal(a.get(r.id)!.name, b.get(r.id)!.name);
  });
  it('outside any workspace folder, and identical paths in two folders', () => {
    assert.equal(names([{ id: 'x', root: '/tmp/foo/train.jsonl', isFile: true }])['x'], 'foo');
    const r = names(
      [
        { id: 'a', root: '/w1/run/train.jsonl', isFile: true },
        { id: 'b', root: '/w2/run/train.jsonl', isFile: true },
      ],
      ['/w1', '/w2'],
    );
    assert.notEqual(r.a, r.b);
    assert.match(r.a, /w1/);
  });
  it('long names are clipped in the middle; duplicate ids fall back to numbering', () => {
    const long = 'x'.repeat(1000);
    assert.ok(names([file(`${long}/train.jsonl`)])[`${long}/train.jsonl`].length <= 160);
    const r = runNames(
      [
        { id: '1', root: '/ws/a.jsonl', isFile: true },
        { id: '2', root: '/ws/a.jsonl', isFile: true },
      ],
      [],
    );
    assert.notEqual(r.get('1')!.name, r.get('2')!.name);
  });
  it('namedInput and the memoising namer', () => {
    const i = namedInput({ id: 'r', root: '/ws/a/train.jsonl', files: ['/ws/a/train.jsonl'], name: 'train.jsonl', format: 'jsonl' });
    assert.equal(i.isFile, true);
    const namer = new RunNamer();
    const m1 = namer.of([i], [W]);
    assert.equal(namer.of([i], [W]), m1);
    assert.equal(m1.get('r')!.name, 'a');
  });
  // Real folder layouts of public repositories (paths only):
  //   Jan21/Krohn-Rhodes-RNN@e24f55cf77fc35ac26970f872880e0c575304d14:lightning_logs/version_{0,2,3,7,8}/metrics.csv
  //   0x90Vold/Plant-Disease-Detection@819dcb9809052e838d429d630990f284b62e6a0c:runs/detect/{train,train2}/results.csv
  it('real layouts: Lightning versions and YOLO runs', () => {
    const lightning = [0, 2, 3, 7, 8].map((v) => file(`lightning_logs/version_${v}/metrics.csv`));
    const yolo = [file('runs/detect/train/results.csv'), file('runs/detect/train2/results.csv')];
    const r = runNames([...lightning, ...yolo], [W]);
    assert.deepEqual(
      [...r.values()].map((n) => `${n.group}|${n.name}`),
      [
        'lightning_logs|version_0',
        'lightning_logs|version_2',
        'lightning_logs|version_3',
        'lightning_logs|version_7',
        'lightning_logs|version_8',
        'runs/detect|train',
        'runs/detect|train2',
      ],
    );
  });
});
