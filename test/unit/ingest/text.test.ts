// Console-text parser: recognised shapes, conservativeness, user patterns (RE2), the "nothing recognised"
// notice. Lines are fed as the line splitter delivers them (`\r`-separated progress updates are lines).
import * as assert from 'node:assert/strict';
import { LineReader } from '../../../src/ingest/lines';
import { SILENT_LINES, TextParser } from '../../../src/ingest/parsers/text';
import { enc, RecSink } from './helpers';

function run(text: string, patterns: string[] = []): RecSink {
  const sink = new RecSink();
  const r = new LineReader(new TextParser(sink, patterns), sink);
  // progress bars: every \r-separated update is its own line
  r.push(enc(text.split(/\r\n|\r|\n/).join('\n')));
  r.finish();
  return sink;
}
const pts = (s: RecSink, key: string): [number, number][] => s.byKey(key).map((p) => [p.step, p.value]);

describe('ingest/text: console formats', () => {
  it('nanoGPT: iter lines and train/val split lines', () => {
    const s = run(
      'iter 100: loss 2.3456, time 12.34ms, mfu 3.21%\nstep 250: train loss 1.9000, val loss 2.0000\niter 250: loss 1.8, time 9000.00ms, mfu -100.00%\n',
    );
    assert.deepEqual(pts(s, 'loss'), [
      [100, 2.3456],
      [250, 1.8],
    ]);
    assert.deepEqual(pts(s, 'train/loss'), [[250, 1.9]]);
    assert.deepEqual(pts(s, 'val/loss'), [[250, 2]]);
    assert.deepEqual(new Set(s.keys.map((k) => k.key)), new Set(['loss', 'train/loss', 'val/loss'])); // no time, mfu
  });
  it('build-nanogpt: stdout with norm, and the log file lines', () => {
    const s = run(
      'step     0 | loss: 10.955011 | lr 6.0000e-05 | norm: 15.4123 | dt: 1234.56ms | tok/sec: 4321.12\n0 val 10.9519\n0 hella 0.2487\n0 train 10.955011\n1 train 10.935991\n',
    );
    assert.deepEqual(pts(s, 'loss'), [[0, 10.955011]]);
    assert.deepEqual(pts(s, 'lr'), [[0, 6e-5]]);
    assert.deepEqual(pts(s, 'norm'), [[0, 15.4123]]);
    assert.deepEqual(pts(s, 'train/loss'), [
      [0, 10.955011],
      [1, 10.935991],
    ]);
    assert.deepEqual(pts(s, 'val/loss'), [[0, 10.9519]]);
    assert.deepEqual(pts(s, 'hella/acc_norm'), [[0, 0.2487]]);
    assert.equal(s.byKey('tok/sec').length, 0);
  });
  it('Keras 2 and Keras 3 (ANSI colours) epoch summaries; progress lines and evaluate() repeats ignored', () => {
    const s = run(
      'Epoch 3/10\n' +
        '1200/1875 [=================>............] - ETA: 2s - loss: 0.3100 - accuracy: 0.9000\n' +
        '1875/1875 [==============================] - 5s 3ms/step - loss: 0.29 - accuracy: 0.91 - val_loss: 0.14\n' +
        'Epoch 4/10\n' +
        '\x1b[1m 100/1875\x1b[0m \x1b[32m━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m4s\x1b[0m 3ms/step - accuracy: 0.9 - loss: 0.3\n' +
        '\x1b[1m1875/1875\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m5s\x1b[0m 3ms/step - accuracy: 0.9137 - loss: 0.2950 - val_accuracy: 0.95 - val_loss: 0.12\n' +
        '313/313 [==============================] - 1s 2ms/step - loss: 0.11 - accuracy: 0.96\n',
    );
    assert.deepEqual(pts(s, 'loss'), [
      [3, 0.29],
      [4, 0.295],
    ]);
    assert.deepEqual(pts(s, 'val_loss'), [
      [3, 0.14],
      [4, 0.12],
    ]);
    assert.deepEqual(pts(s, 'accuracy'), [
      [3, 0.91],
      [4, 0.9137],
    ]);
    assert.deepEqual(pts(s, 'val_accuracy'), [[4, 0.95]]);
  });
  it('fairseq: simple format with split tags, train_inner counters, JSON dicts with quoted numbers', () => {
    const s = run(
      '| epoch 001 | loss 9.5 | nll_loss 8.7 | ppl 416 | wps 1234 | gnorm 1.2 | num_updates 100\n' +
        '2020-10-01 12:00:00 | INFO | train_inner | epoch 001:    200 / 1093 loss=9.1, nll_loss=8.2, ppl=300, num_updates=200, gnorm=1.1\n' +
        "2020-10-01 12:10:00 | INFO | valid | epoch 001 | valid on 'valid' subset | loss 8.1 | nll_loss 7 | ppl 130 | num_updates 1093\n" +
        '2021-03-08 12:31:36 | INFO | train_inner | {"epoch": 1, "update": 0.0, "loss": "16.475", "num_updates": "1", "gnorm": "20.751"}\n' +
        '2021-03-08 12:43:15 | INFO | valid | {"epoch": 1, "valid_loss": "17.953", "valid_num_updates": "10"}\n',
    );
    assert.deepEqual(pts(s, 'loss'), [
      [100, 9.5],
      [200, 9.1],
      [1, 16.475],
    ]);
    assert.deepEqual(pts(s, 'gnorm'), [
      [100, 1.2],
      [200, 1.1],
      [1, 20.751],
    ]);
    assert.deepEqual(pts(s, 'valid/loss'), [[1093, 8.1]]);
    assert.deepEqual(pts(s, 'valid_loss'), [[10, 17.953]]);
    assert.equal(s.byKey('update').length, 0);
    assert.equal(s.byKey('wps').length, 0);
  });
  it('tqdm / Lightning postfix: step = epoch·N + i, redraws of the same counter do not double points', () => {
    const s = run(
      'Epoch 3:  45%|████▌     | 450/1000 [00:10<00:12, 43.2it/s, loss=0.123, v_num=0]\r' +
        'Epoch 3:  46%|████▌     | 460/1000 [00:10<00:12, 43.2it/s, loss=0.121, v_num=0]\r' +
        'Epoch 3:  46%|████▌     | 460/1000 [00:10<00:12, 43.2it/s, loss=0.121, v_num=0]\n' +
        'Epoch 4: 100%|██████████| 1000/1000 [00:15<00:00, 66.1it/s, v_num=1, train_loss=0.0812, val_acc=0.971]`Trainer.fit` stopped: `max_epochs=5` reached.\n' +
        'Validation DataLoader 0:  50%|█████     | 5/10 [00:00<00:00, 40.00it/s]\n' +
        ' 30%|███       | 3/10 [00:01<00:03,  2.00it/s, lr=1e-3]\n',
    );
    assert.deepEqual(pts(s, 'loss'), [
      [3450, 0.123],
      [3460, 0.121],
    ]);
    assert.deepEqual(pts(s, 'train_loss'), [[5000, 0.0812]]);
    assert.deepEqual(pts(s, 'val_acc'), [[5000, 0.971]]);
    assert.deepEqual(pts(s, 'lr'), [[3, 1e-3]]);
    assert.equal(s.byKey('v_num').length, 0);
  });
  it('tqdm with an unknown total: the counter is the step', () => {
    const s = run('Epoch 2: 450it [00:10, 43.2it/s, loss=0.1]\r460it [00:10, 43.2it/s, loss=0.09]\n69it [01:19,  1.16s/it]\n');
    assert.deepEqual(pts(s, 'loss'), [
      [450, 0.1],
      [460, 0.09],
    ]);
  });
  it('Lightning: validation / epoch-level postfix values repeated on every later update add a point only when they change', () => {
    const s = run(
      'Epoch 0: 100%|██████████| 4/4 [00:01<00:00,  3.1it/s, v_num=0, train_loss_step=0.90]\r' +
        'Epoch 0: 100%|██████████| 4/4 [00:01<00:00,  3.1it/s, v_num=0, train_loss_step=0.90, val_loss=0.80, train_loss_epoch=0.95]\n' +
        'Epoch 1:  25%|██▌       | 1/4 [00:00<00:01,  3.0it/s, v_num=0, train_loss_step=0.70, val_loss=0.80, train_loss_epoch=0.95]\r' +
        'Epoch 1:  50%|█████     | 2/4 [00:00<00:01,  3.0it/s, v_num=0, train_loss_step=0.70, val_loss=0.80, train_loss_epoch=0.95]\r' +
        'Epoch 1: 100%|██████████| 4/4 [00:01<00:00,  3.0it/s, v_num=0, train_loss_step=0.60, val_loss=0.75, train_loss_epoch=0.65]\n',
    );
    assert.deepEqual(pts(s, 'train_loss_step'), [
      [4, 0.9],
      [5, 0.7],
      [6, 0.7],
      [8, 0.6],
    ]);
    assert.deepEqual(pts(s, 'val_loss'), [
      [4, 0.8],
      [8, 0.75],
    ]);
    assert.deepEqual(pts(s, 'train_loss_epoch'), [
      [4, 0.95],
      [8, 0.65],
    ]);
  });
  it('Hugging Face Trainer dicts: old and quoted styles, eval at the preceding train index, summary as metadata', () => {
    const s = run(
      "{'loss': 3.412, 'learning_rate': 4.9e-05, 'epoch': 0.1}\n" +
        "{'loss': '3.2', 'grad_norm': '1.2', 'learning_rate': '4.8e-05', 'epoch': '0.2'}\n" +
        "{'eval_loss': 3.1, 'eval_runtime': 12.0, 'epoch': 0.2}\n" +
        "{'loss': 'nan', 'grad_norm': 'inf', 'epoch': 0.3}\n" +
        "{'train_runtime': 120.5, 'train_samples_per_second': 10.2, 'train_loss': 3.0, 'epoch': 1.0}\n",
    );
    assert.deepEqual(pts(s, 'loss'), [
      [1, 3.412],
      [2, 3.2],
      [3, NaN],
    ]);
    assert.deepEqual(pts(s, 'grad_norm'), [
      [2, 1.2],
      [3, Infinity],
    ]);
    assert.deepEqual(pts(s, 'eval_loss'), [[2, 3.1]]);
    assert.deepEqual(
      s.byKey('loss').map((p) => p.epoch),
      [0.1, 0.2, 0.3],
    );
    assert.equal(s.byKey('train_runtime').length, 0);
    assert.equal(s.byKey('epoch').length, 0);
    assert.deepEqual(s.metas, { train_runtime: 120.5, train_samples_per_second: 10.2, train_loss: 3, epoch: 1 });
  });
  it('PyTorch word_language_model: batch counters within the epoch, the epoch summary at its end', () => {
    const s = run(
      '| epoch   1 |   200/ 2983 batches | lr 20.0000 | ms/batch 11.61 | loss  9.09 | ppl  8835.03\n' +
        '| epoch   1 |   400/ 2983 batches | lr 20.0000 | ms/batch 11.49 | loss  7.33 | ppl  1532.86\n' +
        '| end of epoch   1 | time: 36.35s | valid loss  5.61 | valid ppl   273.43\n' +
        '| epoch   2 |   200/ 2983 batches | lr 20.0000 | ms/batch 11.71 | loss  5.67 | ppl   290.63\n',
    );
    assert.deepEqual(pts(s, 'loss'), [
      [3183, 9.09],
      [3383, 7.33],
      [6166, 5.67],
    ]);
    assert.deepEqual(pts(s, 'valid/loss'), [[5966, 5.61]]);
  });
  it('metric lines under an epoch header, when they name their split; each series once per header', () => {
    const s = run(
      'Device : cuda\nEpoch [1/40]\n  Train Loss: 1.9660, Train Accuracy: 27.97%\n  Val Loss: 1.6001, Val Accuracy: 40.36%\n' +
        'Epoch [2/40]\n  Train Loss: 1.6147, Train Accuracy: 40.61%\n  Val Loss: 1.5206, Val Accuracy: 46.09%\n  Val Loss: 9.9\n' +
        'Epoch 3 of 20\nTraining\nTrain Loss: 0.0012, Train Acc: 86.08\nVal Loss: 0.0010, Val Acc: 89.57\n',
    );
    assert.deepEqual(pts(s, 'Train/Loss'), [
      [1, 1.966],
      [2, 1.6147],
      [3, 0.0012],
    ]);
    assert.deepEqual(pts(s, 'Val/Loss'), [
      [1, 1.6001],
      [2, 1.5206],
      [3, 0.001],
    ]);
    assert.deepEqual(pts(s, 'Val/Acc'), [[3, 89.57]]);
    // a labelled percentage is a value, as printed
    assert.deepEqual(pts(s, 'Train/Accuracy'), [
      [1, 27.97],
      [2, 40.61],
    ]);
    assert.deepEqual(pts(s, 'Val/Accuracy'), [
      [1, 40.36],
      [2, 46.09],
    ]);
  });
  it('multi-word labels before a colon and labelled percentages (real shapes: regression, classification logs)', () => {
    const s = run(
      'Epoch [1/500], Train Loss: 8.5, Train L1 Loss: 1278424.5521\n' +
        'Epoch [1/500], Validation Loss: 5.8, Validation L1: 27788.5, Smoothed Validation Loss: 5.7\n' +
        'Epoch 2/400, Test Loss: 1.1, Accuracy on Test set: 31.03%\n' +
        'Saving model at Epoch 3 with Validation Accuracy: 33.73%\n' +
        '2026-05-08 22:49:56 | INFO | Epoch [004/30] TrainLoss=1.8695 TrainAcc=48.54% | ValLoss=1.3 | LR=1.00e-04\n' +
        'epoch 5 acc 95% loss 0.5\n',
    );
    assert.deepEqual(pts(s, 'Train/L1 Loss'), [[1, 1278424.5521]]);
    assert.deepEqual(pts(s, 'Train/Loss'), [[1, 8.5]]);
    assert.deepEqual(pts(s, 'Validation/L1'), [[1, 27788.5]]);
    assert.deepEqual(pts(s, 'Smoothed Validation Loss'), [[1, 5.7]]);
    assert.deepEqual(pts(s, 'Accuracy on Test set'), [[2, 31.03]]);
    assert.deepEqual(pts(s, 'Validation/Accuracy'), [[3, 33.73]]); // "with" is not part of the label
    assert.deepEqual(pts(s, 'TrainAcc'), [[4, 48.54]]);
    assert.deepEqual(pts(s, 'LR'), [[4, 1e-4]]);
    // an unlabelled percentage is no value ("acc 95%" could be progress); the loss on that line is
    assert.equal(s.byKey('acc').length, 0);
    assert.deepEqual(pts(s, 'loss'), [[5, 0.5]]);
    // a tqdm bar's "45%|" is still the bar, not a value
    const bar = run('Epoch 3:  45%|████▌     | 450/1000 [00:10<00:12, 43.2it/s, loss=0.123]\n');
    assert.deepEqual(pts(bar, 'loss'), [[3 * 1000 + 450, 0.123]]);
  });
  it('no header mode without a split name, without a header, or under a non-integer "epoch = 30.0" table row', () => {
    assert.deepEqual(run('Epoch 5\nloss: 0.3\n').points, []);
    assert.deepEqual(run('Train Loss: 0.3\nVal Loss: 0.4\n').points, []);
    assert.deepEqual(
      run('***** train metrics *****\n  epoch                    =       30.0\n  train_loss               =     1.0989\n').points,
      [],
    );
  });
  it('generic anchors keep working (step=… loss=…, [epoch 2/10] iter 500 loss: 1e-3)', () => {
    const s = run('step=10 loss=0.5 acc=0.9\n[epoch 2/10] iter 500 loss: 1e-3\nglobal_step: 7, grad_norm=2.5\n');
    assert.deepEqual(pts(s, 'loss'), [
      [10, 0.5],
      [500, 1e-3],
    ]);
    assert.deepEqual(pts(s, 'acc'), [[10, 0.9]]);
    assert.deepEqual(pts(s, 'grad_norm'), [[7, 2.5]]);
    assert.equal(s.byKey('loss')[1]!.epoch, 2);
  });
  it('a line rewritten with \\r keeps its last state when it arrives whole', () => {
    const sink = new RecSink();
    const p = new TextParser(sink);
    const b = enc('step 1 loss 9\rstep 2 loss 0.5');
    p.line(b, 0, b.length, 1);
    assert.deepEqual(
      sink.points.map((x) => [x.step, x.value]),
      [[2, 0.5]],
    );
  });
});

describe('ingest/text: arbitrary program output stays out', () => {
  const negatives = [
    'Starting server on port 8080',
    'GET /index.html 200 12ms',
    'processed 3/10 files size=12 MB',
    'step 4: copying files (total=9)',
    'ERROR: disk full',
    'Epoch 1/10',
    'Epoch 118: early stopping',
    'Successfully installed numpy-1.26.4 torch-2.2.0+cu121 loss-lib-0.1',
    'Collecting torch==2.2.0 (from -r requirements.txt (line 3))',
    'gcc -O2 -Wall -c loss.c -o loss.o -DSTEP=3',
    'src/train.py:42: UserWarning: step 3 loss was nan',
    '  File "/usr/lib/python3.11/site-packages/torch/nn/modules/loss.py", line 1174, in forward',
    'Traceback (most recent call last):',
    '2024-01-05 12:30:45,123 INFO step 2024-01-05 loss v1.2.3',
    'connecting to 192.168.0.1:8080 ... epoch 1700000000 loss 10.0.0.1',
    'version v1.2.3 released; iteration 5 of loss.py at 0x7ffd loss=0x10',
    "compile_config = {'loss': 'mean_squared_error', 'metrics': ['accuracy']}",
    "{'loss': 'hinge', 'C': 0.1}",
    "{'save': 'example', 'gpu': '0', 'batch': 128, 'epoch': 10, 'lr': 0.0005}",
    "Special tokens: {'eos_token': '<|endoftext|>', 'additional_special_tokens': ['<|im_start|>']}",
    'Tokenizing: 100%|██████████| 1500/1500 [00:11<00:00, 126.32 examples/s]',
    '100/313 [========>.....................] - ETA: 3s - loss: 0.5000',
    'it works: 3 errors, 5 warnings',
    'loss loss loss loss',
    'step step step 1 2 3',
    '损失 step 第3步 loss：0.5',
  ];
  for (const line of negatives) {
    it(JSON.stringify(line.slice(0, 60)), () => {
      const s = run(`${line}\n`);
      assert.deepEqual(s.points, []);
      assert.deepEqual(s.metas, {});
    });
  }
});

describe('ingest/text: user patterns (losswatch.textPatterns) on RE2', () => {
  it('named groups step, epoch and metrics; come before the built-in shapes', () => {
    const s = run('[it 5] foo=0.5 bar=nan\nstep 3 loss 2\n', [
      String.raw`\[it (?<step>\d+)\] foo=(?<foo>\S+) bar=(?<bar>\S+)`,
      String.raw`step (?P<step>\d+) loss (?P<myloss>\S+)`,
    ]);
    assert.deepEqual(
      s.points.map((p) => [p.key, p.step, p.value]),
      [
        ['foo', 5, 0.5],
        ['bar', 5, NaN],
        ['myloss', 3, 2],
      ],
    );
    assert.deepEqual(s.errors, []);
  });
  it('an empty or non-numeric group is skipped, not read as 0', () => {
    const s = run('E 2: acc= loss=x1\n', [String.raw`E (?<epoch>\d+): acc=(?<acc>\S*) loss=(?<loss>\S+)`]);
    assert.deepEqual(s.points, []);
  });
  it('backreferences, lookaround, syntax errors and group-less patterns are rejected with the reason, the rest still run', () => {
    const s = run('step 1 x=2\n', [
      String.raw`(a)\1`,
      String.raw`(?<=step )(?<step>\d+)`,
      String.raw`(?!x)(?<v>\d)`,
      String.raw`\k<step>`,
      '(invalid',
      String.raw`\d+`,
      String.raw`step (?<step>\d+) x=(?<x>\d+)`,
    ]);
    assert.deepEqual(
      s.points.map((p) => [p.key, p.step, p.value]),
      [['x', 1, 2]],
    );
    assert.equal(s.errors.length, 1);
    const m = s.errors[0]!.message;
    assert.match(m, /^invalid text pattern in settings: /);
    assert.match(m, /\(a\)\\1: backreference/);
    assert.match(m, /\(\?<=step \).*lookahead\/lookbehind is not supported/);
    assert.match(m, /\(\?!x\).*lookahead\/lookbehind/);
    assert.match(m, /\\k<step>: backreference/);
    assert.match(m, /\(invalid: .*missing closing \)/);
    assert.match(m, /\\d\+: no named group/);
  });
  it('^(a+)+$ against 40 a and ! finishes in < 100 ms (linear-time engine)', () => {
    const line = `${'a'.repeat(40)}!\n`;
    const t0 = performance.now();
    const s = run(line, ['^(?<step>a+)+$', '(?<x>(a|aa)+)+b']);
    const ms = performance.now() - t0;
    assert.ok(ms < 100, `${ms.toFixed(1)} ms`);
    assert.deepEqual(s.points, []);
  });
  it('a pattern that is too long is rejected, not compiled', () => {
    const s = run('x\n', [`(?<v>${'a'.repeat(3000)})`]);
    assert.match(s.errors[0]!.message, /longer than 2000 characters/);
  });
});

describe('ingest/text: a text log that yields nothing says so once', () => {
  const noise = (n: number, from = 0): string =>
    Array.from({ length: n }, (_, i) => `compiling module ${i + from} of the project`).join('\n') + '\n';
  it(`after ${SILENT_LINES} non-blank lines without a point: one information message at the first line`, () => {
    const sink = new RecSink();
    const r = new LineReader(new TextParser(sink), sink);
    r.push(enc(`\n\n${noise(SILENT_LINES - 1)}`));
    assert.equal(sink.errors.length, 0);
    r.push(enc(noise(1, 500)));
    assert.equal(sink.errors.length, 1);
    assert.equal(sink.errors[0]!.line, 3);
    assert.match(sink.errors[0]!.message, new RegExp(`no metrics recognised in the first ${SILENT_LINES} lines.*losswatch\\.textPatterns`));
    for (let k = 0; k < 5; k++) r.push(enc(noise(SILENT_LINES)));
    assert.equal(sink.errors.length, 1, 'not repeated per append');
  });
  it('not for empty or blank files, nor when metrics appear early, and again after a reset', () => {
    assert.deepEqual(run('').errors, []);
    assert.deepEqual(run('\n\n   \n'.repeat(300)).errors, []);
    assert.deepEqual(run(`step 1 loss 2\n${noise(3 * SILENT_LINES)}`).errors, []);
    const sink = new RecSink();
    const p = new TextParser(sink);
    const r = new LineReader(p, sink);
    r.push(enc(noise(SILENT_LINES)));
    p.reset();
    const r2 = new LineReader(p, sink);
    r2.push(enc(noise(SILENT_LINES)));
    assert.equal(sink.errors.length, 2);
  });
});
