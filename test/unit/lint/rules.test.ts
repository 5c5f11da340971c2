import assert from 'node:assert/strict';
import { applyEdits, lintPython, mayNeedLint, type LintFinding } from '../../../src/lint/index';

const TORCH = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n';
const TF = 'import tensorflow as tf\nfrom tensorflow import keras\n';

async function lint(src: string): Promise<LintFinding[]> {
  return lintPython(src);
}
async function codes(src: string): Promise<string[]> {
  return (await lint(src)).map((f) => `${f.line}:${f.code}`);
}
/** Line numbers are given relative to the snippet (after the 3-line torch / 2-line tf header). */
const at = (header: string, line: number, code: string): string => `${header.split('\n').length - 1 + line}:${code}`;

async function fixed(src: string, code: string): Promise<string> {
  const f = (await lint(src)).find((x) => x.code === code);
  assert.ok(f?.fix, `${code} has a quick fix`);
  return applyEdits(src, f.fix.edits);
}

describe('lint: gate', () => {
  it('skips files that import no deep-learning framework, and huge files', async () => {
    assert.equal(mayNeedLint('import numpy as np\nx = F.softmax(z)\n'), false);
    assert.equal(mayNeedLint('import torch\n'), true);
    assert.equal(mayNeedLint('from lightning import Trainer\n'), true);
    assert.equal(mayNeedLint('# import torch\n'), false);
    assert.equal(mayNeedLint('\uFEFFimport torch\n'), true, 'a byte-order mark before the import');
    assert.equal(mayNeedLint('x = 1\r\nfrom keras import layers\r\n'), true, 'CRLF line ends');
    assert.deepEqual(await codes('import numpy\nloss = F.cross_entropy(F.softmax(z, 1), y)\n'), []);
  });
});

describe('lint: softmax-before-cross-entropy', () => {
  it('flags F.softmax / torch.softmax / .softmax() passed to cross_entropy and nll_loss', async () => {
    const src =
      TORCH +
      'l = F.cross_entropy(F.softmax(z, 1), y)\nl = F.nll_loss(torch.softmax(z, dim=-1), y)\nl = F.cross_entropy(z.softmax(-1), y)\n';
    assert.deepEqual(await codes(src), [
      at(TORCH, 1, 'softmax-before-cross-entropy'),
      at(TORCH, 2, 'softmax-before-cross-entropy'),
      at(TORCH, 3, 'softmax-before-cross-entropy'),
    ]);
    const f = (await lint(src))[0]!;
    assert.equal(src.slice(f.start, f.end), 'F.softmax(z, 1)');
    assert.equal(f.column, 21);
    assert.equal(f.related[0]!.line, 4);
  });
  it('follows variables, criterion objects, a forward that returns softmax, nn.Sequential and call sites', async () => {
    const src =
      TORCH +
      [
        'class Net(nn.Module):',
        '    def __init__(self):',
        '        super().__init__()',
        '        self.fc = nn.Linear(4, 3)',
        '        self.sm = nn.Softmax(dim=1)',
        '    def forward(self, x):',
        '        return self.sm(self.fc(x))',
        'seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Softmax(dim=1))',
        'criterion = nn.CrossEntropyLoss().cuda()',
        'def step(model, x, y):',
        '    out = model(x)',
        '    return criterion(out, y)',
        'step(Net().to("cuda"), x, y)',
        'p = F.softmax(z, 1)',
        'loss = criterion(p, y)',
        'loss = nn.CrossEntropyLoss()(seq(x), y)',
      ].join('\n') +
      '\n';
    assert.deepEqual(await codes(src), [
      at(TORCH, 7, 'softmax-before-cross-entropy'),
      at(TORCH, 8, 'softmax-before-cross-entropy'),
      at(TORCH, 14, 'softmax-before-cross-entropy'),
    ]);
    assert.match(await fixed(src, 'softmax-before-cross-entropy'), /return self\.fc\(x\)\n/);
    const all = await lint(src);
    const seq = all[1]!;
    assert.equal(applyEdits(src, seq.fix!.edits).includes('nn.Sequential(nn.Linear(4, 3), nn.ReLU())'), true);
  });
  it('does not flag softmax used for metrics, log_softmax, or a parameter bound to different models', async () => {
    const src =
      TORCH +
      [
        'out = model(x)',
        'loss = F.cross_entropy(out, y)',
        'pred = F.softmax(out, 1).argmax(1)',
        'probs = torch.softmax(out, -1)',
        'acc = (probs.argmax(-1) == y).float().mean()',
        'l2 = F.nll_loss(F.log_softmax(out, 1), y)',
        'l3 = F.cross_entropy(out / 2.0, y)',
        'def f(a, y):',
        '    return F.cross_entropy(a, y)',
        'f(F.softmax(out, 1), y)',
        'f(out, y)',
      ].join('\n') +
      '\n';
    assert.deepEqual(await codes(src), []);
  });
  it('nn.Softmax then torch.log into NLLLoss is log-of-softmax, not a double softmax', async () => {
    const src =
      TORCH +
      ['model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))', 'crit = nn.NLLLoss()', 'loss = crit(torch.log(model(x)), y)'].join(
        '\n',
      ) +
      '\n';
    assert.deepEqual(await codes(src), [at(TORCH, 3, 'log-of-softmax')]);
  });
});

describe('lint: log-of-softmax', () => {
  it('flags torch.log(softmax) and softmax(...).log() with a log_softmax fix', async () => {
    const src = TORCH + 'a = torch.log(F.softmax(z, dim=1))\nb = torch.softmax(z, 1).log()\nc = z.softmax(-1).log()\n';
    assert.deepEqual(await codes(src), [at(TORCH, 1, 'log-of-softmax'), at(TORCH, 2, 'log-of-softmax'), at(TORCH, 3, 'log-of-softmax')]);
    const out = await fixed(src, 'log-of-softmax');
    assert.match(out, /^a = F\.log_softmax\(z, dim=1\)$/m);
    const all = await lint(src);
    assert.match(applyEdits(src, all[1]!.fix!.edits), /^b = torch\.log_softmax\(z, 1\)$/m);
    assert.match(applyEdits(src, all[2]!.fix!.edits), /^c = z\.log_softmax\(-1\)$/m);
  });
  it('does not flag log of other values or numpy logs', async () => {
    const src =
      TORCH + 'import numpy as np\na = torch.log(torch.sigmoid(z))\nb = np.log(p)\nc = F.log_softmax(z, 1)\nd = torch.log(x + 1e-8)\n';
    assert.deepEqual(await codes(src), []);
  });
});

describe('lint: BCE rules', () => {
  const model = [
    'class Net(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))',
    '    def forward(self, x):',
    '        return self.body(x)',
    'net = Net()',
  ].join('\n');
  it('sigmoid-before-bce-with-logits, with a fix that drops the sigmoid', async () => {
    const src = TORCH + model + '\ncrit = nn.BCEWithLogitsLoss()\nloss = crit(torch.sigmoid(net(x)).squeeze(1), y)\n';
    assert.deepEqual(await codes(src), [at(TORCH, 9, 'sigmoid-before-bce-with-logits')]);
    assert.match(await fixed(src, 'sigmoid-before-bce-with-logits'), /crit\(net\(x\)\.squeeze\(1\), y\)/);
  });
  it('bce-on-logits, with a fix to BCEWithLogitsLoss; no finding with a sigmoid in between', async () => {
    const src =
      TORCH +
      model +
      '\ncrit = nn.BCELoss()\nloss = crit(net(x).squeeze(1), y)\nok = crit(torch.sigmoid(net(x)), y)\nok2 = F.binary_cross_entropy(net(x).sigmoid(), y)\n';
    assert.deepEqual(await codes(src), [at(TORCH, 9, 'bce-on-logits')]);
    assert.match(await fixed(src, 'bce-on-logits'), /crit = nn\.BCEWithLogitsLoss\(\)/);
    const f2 = TORCH + model + '\nloss = F.binary_cross_entropy(net(x), y)\n';
    assert.match(await fixed(f2, 'bce-on-logits'), /F\.binary_cross_entropy_with_logits\(net\(x\), y\)/);
  });
  it('nll-on-logits; log_softmax in forward is fine', async () => {
    const src = TORCH + model + '\nloss = nn.NLLLoss()(net(x), y)\nok = F.nll_loss(F.log_softmax(net(x), 1), y)\n';
    assert.deepEqual(await codes(src), [at(TORCH, 8, 'nll-on-logits')]);
    assert.match(await fixed(src, 'nll-on-logits'), /nn\.CrossEntropyLoss\(\)\(net\(x\), y\)/);
  });
});

describe('lint: missing-zero-grad', () => {
  const head = TORCH + 'opt = torch.optim.SGD(model.parameters(), lr=0.1)\n';
  it('flags a loop with backward and step but no zero_grad, on the step call', async () => {
    const src = head + 'for x, y in loader:\n    loss = F.cross_entropy(model(x), y)\n    loss.backward()\n    opt.step()\n';
    const fs = await lint(src);
    assert.deepEqual(
      fs.map((f) => `${f.line}:${f.code}`),
      [at(head, 4, 'missing-zero-grad')],
    );
    assert.equal(src.slice(fs[0]!.start, fs[0]!.end), 'opt.step()');
  });
  it('flags zero_grad once before the epoch loop', async () => {
    const src =
      head +
      'opt.zero_grad()\nfor epoch in range(3):\n    for x in loader:\n        model(x).sum().backward()\n        opt.step()\n        sched.step()\n';
    assert.deepEqual(await codes(src), [at(head, 5, 'missing-zero-grad')]);
  });
  it('recognises accumulation, set_to_none, model.zero_grad, p.grad = None, closures, and schedulers', async () => {
    const ok = [
      'for i, x in enumerate(loader):\n    model(x).sum().backward()\n    if (i + 1) % 4 == 0:\n        opt.step()\n        opt.zero_grad()\n',
      'for x in loader:\n    opt.zero_grad(set_to_none=True)\n    model(x).backward()\n    opt.step()\n',
      'for x in loader:\n    model.zero_grad()\n    model(x).backward()\n    opt.step()\n',
      'for x in loader:\n    model(x).backward()\n    opt.step()\n    for p in model.parameters():\n        p.grad = None\n',
      'for x in loader:\n    model(x).backward()\n    scheduler.step()\n',
      'def closure():\n    opt.zero_grad()\n    l = model(x)\n    l.backward()\n    return l\nfor _ in range(9):\n    opt.step(closure)\n',
      'def reset():\n    opt.zero_grad()\nfor x in loader:\n    reset()\n    model(x).backward()\n    opt.step()\n',
    ];
    for (const s of ok) assert.deepEqual(await codes(head + s), [], s);
  });
});

describe('lint: validation-in-train-mode', () => {
  it('flags a validation loop without eval() and/or no_grad()', async () => {
    const src =
      TORCH +
      'def validate(model, val_loader):\n    total = 0\n    for x, y in val_loader:\n        total += F.cross_entropy(model(x), y).item()\n    return total\n';
    const fs = await lint(src);
    assert.deepEqual(
      fs.map((f) => `${f.line}:${f.code}`),
      [at(TORCH, 3, 'validation-in-train-mode')],
    );
    assert.equal(src.slice(fs[0]!.start, fs[0]!.end), 'for x, y in val_loader:');
    assert.match(fs[0]!.message, /neither model\.eval\(\) nor torch\.no_grad\(\)/);
    const noGradOnly =
      TORCH + 'def validate(model, val_loader):\n    model.eval()\n    for x, y in val_loader:\n        l = F.cross_entropy(model(x), y)\n';
    assert.match((await lint(noGradOnly))[0]!.message, /no torch\.no_grad\(\)/);
  });
  it('recognises any loss in the validation loop (MSE, a criterion parameter, a *_loss function)', async () => {
    const srcs = [
      'def validate(model, val_loader, criterion):\n    for x, y in val_loader:\n        l = criterion(model(x), y)\n',
      'def validate(model, valid_dl):\n    for x, y in valid_dl:\n        l = F.mse_loss(model(x), y)\n',
    ];
    for (const s of srcs) assert.deepEqual(await codes(TORCH + s), [at(TORCH, 2, 'validation-in-train-mode')], s);
    // a loop over validation data that computes no loss (dataset statistics) is not a validation loop
    assert.deepEqual(await codes(TORCH + 'for batch in val_loader:\n    mean += model_stats(batch).sum()\n'), []);
  });
  it('accepts eval()+no_grad in the function, as a decorator, or at every call site', async () => {
    const ok = [
      'def validate(model, val_loader):\n    model.eval()\n    with torch.no_grad():\n        for x, y in val_loader:\n            l = F.cross_entropy(model(x), y)\n',
      '@torch.no_grad()\ndef validate(model, val_loader):\n    model.eval()\n    for x, y in val_loader:\n        l = F.cross_entropy(model(x), y)\n',
      'def validate(model, val_loader):\n    for x, y in val_loader:\n        l = F.cross_entropy(model(x), y)\nmodel.eval()\nwith torch.inference_mode():\n    validate(model, dl)\n',
      'for x, y in val_loader:\n    model.train()\n    loss = F.cross_entropy(model(x), y)\n    loss.backward()\n    opt.step()\n    opt.zero_grad()\n',
    ];
    for (const s of ok) assert.deepEqual(await codes(TORCH + s), [], s);
  });
});

describe('lint: Keras', () => {
  it('softmax-with-from-logits with a fix', async () => {
    const src =
      TF +
      'model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3, activation="softmax")])\nmodel.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n';
    const fs = await lint(src);
    assert.deepEqual(
      fs.map((f) => `${f.line}:${f.code}`),
      [at(TF, 2, 'softmax-with-from-logits')],
    );
    assert.equal(src.slice(fs[0]!.start, fs[0]!.end), 'from_logits=True');
    assert.match(await fixed(src, 'softmax-with-from-logits'), /from_logits=False/);
  });
  it('logits-without-from-logits for string losses, model.add and the functional API, with fixes', async () => {
    const src =
      TF +
      'm = keras.Sequential()\nm.add(keras.layers.Dense(8, activation="relu"))\nm.add(keras.layers.Dense(3))\nm.compile("adam", loss="sparse_categorical_crossentropy")\n' +
      'inp = keras.Input((4,))\nout = keras.layers.Dense(3)(keras.layers.Dense(8)(inp))\nf = keras.Model(inp, out)\nf.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1))\n';
    assert.deepEqual(await codes(src), [at(TF, 4, 'logits-without-from-logits'), at(TF, 8, 'logits-without-from-logits')]);
    const all = await lint(src);
    assert.match(applyEdits(src, all[0]!.fix!.edits), /loss=tf\.keras\.losses\.SparseCategoricalCrossentropy\(from_logits=True\)/);
    assert.match(applyEdits(src, all[1]!.fix!.edits), /CategoricalCrossentropy\(label_smoothing=0\.1, from_logits=True\)/);
  });
  it('no finding when activation and from_logits agree, or the last layer is unknown', async () => {
    const ok = [
      'm = keras.Sequential([keras.layers.Dense(3, activation="softmax")])\nm.compile("adam", "sparse_categorical_crossentropy")\n',
      'm = keras.Sequential([keras.layers.Dense(3)])\nm.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n',
      'm = keras.Sequential([keras.layers.Dense(3), keras.layers.Activation("softmax")])\nm.compile("adam", "categorical_crossentropy")\n',
      'm = keras.Sequential([keras.layers.Dense(1)])\nm.compile("adam", "mse")\n',
      'm = build()\nm.compile("adam", "sparse_categorical_crossentropy")\n',
    ];
    for (const s of ok) assert.deepEqual(await codes(TF + s), [], s);
  });
  it('sparse-vs-categorical from to_categorical labels or integer dataset labels', async () => {
    const src =
      TF +
      '(xtr, ytr), (xte, yte) = keras.datasets.mnist.load_data()\nm = keras.Sequential([keras.layers.Dense(10, activation="softmax")])\nm.compile("adam", loss="categorical_crossentropy")\nm.fit(xtr, ytr)\n' +
      'y1 = keras.utils.to_categorical(ytr, 10)\nn = keras.Sequential([keras.layers.Dense(10, activation="softmax")])\nn.compile("adam", loss="sparse_categorical_crossentropy")\nn.fit(xtr, y1)\n';
    assert.deepEqual(await codes(src), [at(TF, 3, 'sparse-vs-categorical'), at(TF, 7, 'sparse-vs-categorical')]);
    const ok =
      TF +
      '(xtr, ytr), _ = keras.datasets.mnist.load_data()\nytr = keras.utils.to_categorical(ytr)\nm = keras.Sequential([keras.layers.Dense(10, activation="softmax")])\nm.compile("adam", loss="categorical_crossentropy")\nm.fit(xtr, ytr)\n';
    assert.deepEqual(await codes(ok), []);
  });
});

describe('lint: robustness', () => {
  it('positions count UTF-16 code units after non-ASCII text', async () => {
    const src = TORCH + 's = "ünïcødé 🙂"; l = F.cross_entropy(F.softmax(z, 1), y)\n';
    const f = (await lint(src))[0]!;
    assert.equal(src.slice(f.start, f.end), 'F.softmax(z, 1)');
    assert.equal(f.column, src.split('\n')[3]!.indexOf('F.softmax') + 1);
  });
  it('survives syntax errors, deep nesting and recursion', async () => {
    await lint(TORCH + 'def f(:\n  x = = 1\nl = F.cross_entropy(F.softmax(z, 1), y\n');
    await lint(TORCH + 'x = ' + '('.repeat(2000) + '1' + ')'.repeat(2000) + '\n');
    const rec = TORCH + 'a = b\nb = a\nl = F.cross_entropy(a, y)\ndef g(m):\n    return g(m)\n';
    assert.deepEqual(await codes(rec), []);
  });
  it('honours severity overrides and off', async () => {
    const src = TORCH + 'l = F.cross_entropy(F.softmax(z, 1), y)\n';
    assert.equal((await lintPython(src, { severities: { 'softmax-before-cross-entropy': 'error' } }))[0]!.severity, 'error');
    assert.deepEqual(await lintPython(src, { severities: { 'softmax-before-cross-entropy': 'off' } }), []);
  });
});

describe('lint: bounded work on hostile input', () => {
  it('deeply nested unpacking targets and long call chains finish quickly', async () => {
    const nested = 'import torch\n' + '('.repeat(3000) + 'a' + ',)'.repeat(3000) + ' = f()\nl = torch.nn.functional.cross_entropy(a, y)\n';
    const chain = 'import torch\nx = m' + '.a'.repeat(20000) + '[0](1)\n' + 'y = ' + 'f('.repeat(500) + ')'.repeat(500) + '\n';
    for (const src of [nested, chain]) {
      const t0 = performance.now();
      await lintPython(src);
      assert.ok(performance.now() - t0 < 5000, 'bounded time');
    }
  });
});

describe('lint: star imports', () => {
  it('resolves known Keras and torch names through `from … import *`', async () => {
    const k =
      'from keras.models import Sequential\nfrom keras.layers import *\nm = Sequential()\nm.add(Dense(10))\nm.compile("adam", loss="categorical_crossentropy")\n';
    assert.deepEqual(await codes(k), ['5:logits-without-from-logits']);
    const t = 'import torch\nfrom torch.nn.functional import *\nl = cross_entropy(softmax(z, 1), y)\n';
    assert.deepEqual(await codes(t), ['3:softmax-before-cross-entropy']);
  });
});

describe('lint: Keras models bound to a dotted name', () => {
  it('tf.model = Sequential(); tf.model.add(...); tf.model.compile(...)', async () => {
    const src =
      'import tensorflow as tf\ntf.model = tf.keras.Sequential()\ntf.model.add(tf.keras.layers.Dense(units=3, input_dim=4))\ntf.model.compile(loss="categorical_crossentropy", optimizer="sgd")\n';
    assert.deepEqual(await codes(src), ['4:logits-without-from-logits']);
    const ok = src.replace('input_dim=4))', 'input_dim=4))\ntf.model.add(tf.keras.layers.Activation("softmax"))');
    assert.deepEqual(await codes(ok), []);
  });
});
