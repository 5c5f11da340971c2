// Seeds the loss pitfalls into correct training scripts for the lint recall test.
//   node scripts/lint_seed.mjs      writes test/fixtures/scripts/seed/seeded/*.py and manifest.json
// Each injection is a plain text edit of a correct script in test/fixtures/scripts/seed/base/ (no use of
// the linter); the manifest records which rule each output file must trigger. Outputs are committed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'scripts', 'seed');
const base = (name) => fs.readFileSync(path.join(root, 'base', name), 'utf8');

/** Replaces `from` (a string, must occur) by `to`; `all` replaces every occurrence. */
function sub(text, from, to, all = false) {
  if (!text.includes(from)) throw new Error(`seed: '${from}' not found`);
  return all ? text.split(from).join(to) : text.replace(from, to);
}
/** Removes the line containing `needle`. */
function dropLine(text, needle) {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`seed: line with '${needle}' not found`);
  lines.splice(i, 1);
  return lines.join('\n');
}
/** Removes a `with …:` line and dedents its block by one level (4 spaces). */
function unwrapWith(text, header) {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trim() === header);
  if (i < 0) throw new Error(`seed: '${header}' not found`);
  const indent = lines[i].length - lines[i].trimStart().length;
  lines.splice(i, 1);
  for (let j = i; j < lines.length; j++) {
    const l = lines[j];
    if (l.trim() === '') continue;
    if (l.length - l.trimStart().length <= indent) break;
    lines[j] = l.slice(4);
  }
  return lines.join('\n');
}

const SEEDS = [
  // softmax-before-cross-entropy
  [
    'softmax-before-cross-entropy',
    'torch_mlp',
    'F.softmax on the loss input',
    (t) => sub(t, 'loss = criterion(logits, labels)', 'loss = criterion(F.softmax(logits, dim=1), labels)'),
  ],
  [
    'softmax-before-cross-entropy',
    'torch_mlp',
    'Tensor.softmax on the loss input',
    (t) => sub(t, 'loss = criterion(logits, labels)', 'loss = criterion(logits.softmax(dim=-1), labels)'),
  ],
  [
    'softmax-before-cross-entropy',
    'torch_mlp',
    'forward returns softmax',
    (t) => sub(t, 'return self.fc2(x)', 'return F.softmax(self.fc2(x), dim=1)'),
  ],
  [
    'softmax-before-cross-entropy',
    'torch_mlp',
    'probabilities in a variable',
    (t) =>
      sub(
        t,
        '            loss = criterion(logits, labels)',
        '            probs = torch.softmax(logits, 1)\n            loss = criterion(probs, labels)',
      ),
  ],
  [
    'softmax-before-cross-entropy',
    'torch_mlp',
    'nn.Softmax submodule in forward',
    (t) =>
      sub(
        sub(
          t,
          'self.fc2 = nn.Linear(hidden, n_classes)',
          'self.fc2 = nn.Linear(hidden, n_classes)\n        self.softmax = nn.Softmax(dim=1)',
        ),
        'return self.fc2(x)',
        'return self.softmax(self.fc2(x))',
      ),
  ],
  [
    'softmax-before-cross-entropy',
    'torch_seq',
    'nn.Softmax as the last Sequential layer',
    (t) => sub(t, '    nn.Linear(16 * 28 * 28, 10),\n)', '    nn.Linear(16 * 28 * 28, 10),\n    nn.Softmax(dim=1),\n)'),
  ],
  [
    'softmax-before-cross-entropy',
    'torch_seq',
    'F.softmax into F.cross_entropy',
    (t) => sub(t, 'loss = F.cross_entropy(out, y)', 'loss = F.cross_entropy(F.softmax(out, dim=1), y)'),
  ],
  [
    'softmax-before-cross-entropy',
    'torch_nll',
    'softmax instead of log_softmax before NLLLoss',
    (t) => sub(t, 'return F.log_softmax(x, dim=1)', 'return F.softmax(x, dim=1)'),
  ],
  // log-of-softmax
  [
    'log-of-softmax',
    'torch_nll',
    'torch.log(F.softmax)',
    (t) => sub(t, 'return F.log_softmax(x, dim=1)', 'return torch.log(F.softmax(x, dim=1))'),
  ],
  ['log-of-softmax', 'torch_nll', 'softmax(...).log()', (t) => sub(t, 'return F.log_softmax(x, dim=1)', 'return x.softmax(dim=1).log()')],
  [
    'log-of-softmax',
    'torch_nll',
    'torch.log of a softmax model output',
    (t) =>
      sub(
        sub(t, 'return F.log_softmax(x, dim=1)', 'return F.softmax(x, dim=1)'),
        'loss = criterion(output, target)',
        'loss = criterion(torch.log(output), target)',
      ),
  ],
  [
    'log-of-softmax',
    'torch_mlp',
    'manual cross-entropy with log of softmax',
    (t) =>
      sub(t, 'loss = criterion(logits, labels)', 'loss = -(F.one_hot(labels, 10) * torch.log(F.softmax(logits, dim=1))).sum(1).mean()'),
  ],
  // sigmoid-before-bce-with-logits
  [
    'sigmoid-before-bce-with-logits',
    'torch_bce',
    'torch.sigmoid on the loss input',
    (t) => sub(t, 'loss = loss_fn(out, y.float()) / accum', 'loss = loss_fn(torch.sigmoid(out), y.float()) / accum'),
  ],
  [
    'sigmoid-before-bce-with-logits',
    'torch_bce',
    'forward returns a sigmoid',
    (t) => sub(t, 'return self.body(x)', 'return torch.sigmoid(self.body(x))'),
  ],
  [
    'sigmoid-before-bce-with-logits',
    'torch_bce_f',
    'Tensor.sigmoid into the functional loss',
    (t) => sub(t, 'F.binary_cross_entropy_with_logits(scores, targets)', 'F.binary_cross_entropy_with_logits(scores.sigmoid(), targets)'),
  ],
  [
    'sigmoid-before-bce-with-logits',
    'torch_bce_f',
    'nn.Sigmoid as the last layer',
    (t) => sub(t, 'nn.Linear(256, 20))', 'nn.Linear(256, 20), nn.Sigmoid())'),
  ],
  // bce-on-logits
  ['bce-on-logits', 'torch_bce', 'BCELoss instead of BCEWithLogitsLoss', (t) => sub(t, 'nn.BCEWithLogitsLoss()', 'nn.BCELoss()')],
  [
    'bce-on-logits',
    'torch_bce_f',
    'F.binary_cross_entropy on logits',
    (t) => sub(t, 'F.binary_cross_entropy_with_logits(', 'F.binary_cross_entropy('),
  ],
  // nll-on-logits
  ['nll-on-logits', 'torch_mlp', 'NLLLoss on logits', (t) => sub(t, 'nn.CrossEntropyLoss()', 'nn.NLLLoss()')],
  ['nll-on-logits', 'torch_seq', 'F.nll_loss on logits', (t) => sub(t, 'loss = F.cross_entropy(out, y)', 'loss = F.nll_loss(out, y)')],
  ['nll-on-logits', 'torch_nll', 'forward without log_softmax', (t) => sub(t, 'return F.log_softmax(x, dim=1)', 'return x')],
  // validation-in-train-mode
  ['validation-in-train-mode', 'torch_mlp', 'no model.eval()', (t) => dropLine(t, '        model.eval()')],
  ['validation-in-train-mode', 'torch_mlp', 'no torch.no_grad()', (t) => unwrapWith(t, 'with torch.no_grad():')],
  ['validation-in-train-mode', 'torch_seq', 'no eval() in evaluate', (t) => dropLine(t, '    model.eval()')],
  ['validation-in-train-mode', 'torch_seq', 'no @torch.no_grad()', (t) => dropLine(t, '@torch.no_grad()')],
  // missing-zero-grad
  ['missing-zero-grad', 'torch_mlp', 'zero_grad removed', (t) => dropLine(t, 'optimizer.zero_grad()')],
  [
    'missing-zero-grad',
    'torch_mlp',
    'zero_grad once before the epochs',
    (t) =>
      sub(
        dropLine(t, '            optimizer.zero_grad()'),
        '    for epoch in range(epochs):',
        '    optimizer.zero_grad()\n    for epoch in range(epochs):',
      ),
  ],
  ['missing-zero-grad', 'torch_seq', 'zero_grad(set_to_none) removed', (t) => dropLine(t, 'optimizer.zero_grad(set_to_none=True)')],
  ['missing-zero-grad', 'torch_bce', 'accumulation without zero_grad', (t) => dropLine(t, 'opt.zero_grad()')],
  ['missing-zero-grad', 'torch_nll', 'zero_grad removed', (t) => dropLine(t, 'optimizer.zero_grad()')],
  // softmax-with-from-logits
  [
    'softmax-with-from-logits',
    'keras_seq',
    'from_logits=True with a softmax output',
    (t) => sub(t, 'loss="sparse_categorical_crossentropy"', 'loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)'),
  ],
  [
    'softmax-with-from-logits',
    'keras_onehot',
    'CategoricalCrossentropy(from_logits=True)',
    (t) => sub(t, 'loss="categorical_crossentropy"', 'loss=keras.losses.CategoricalCrossentropy(from_logits=True)'),
  ],
  [
    'softmax-with-from-logits',
    'keras_func',
    'softmax on the functional output',
    (t) => sub(t, 'tf.keras.layers.Dense(5)(h)', 'tf.keras.layers.Dense(5, activation="softmax")(h)'),
  ],
  // logits-without-from-logits
  [
    'logits-without-from-logits',
    'keras_func',
    'from_logits dropped',
    (t) => sub(t, 'SparseCategoricalCrossentropy(from_logits=True)', 'SparseCategoricalCrossentropy()'),
  ],
  [
    'logits-without-from-logits',
    'keras_seq',
    'no output activation, string loss',
    (t) => sub(t, 'keras.layers.Dense(10, activation="softmax")', 'keras.layers.Dense(10)'),
  ],
  [
    'logits-without-from-logits',
    'keras_onehot',
    'no output activation with add()',
    (t) => sub(t, 'keras.layers.Dense(10, activation="softmax"))', 'keras.layers.Dense(10))'),
  ],
  // sparse-vs-categorical
  [
    'sparse-vs-categorical',
    'keras_seq',
    'categorical loss with integer labels',
    (t) => sub(t, 'loss="sparse_categorical_crossentropy"', 'loss="categorical_crossentropy"'),
  ],
  [
    'sparse-vs-categorical',
    'keras_onehot',
    'sparse loss with one-hot labels',
    (t) => sub(t, 'loss="categorical_crossentropy"', 'loss="sparse_categorical_crossentropy"'),
  ],
];

const outDir = path.join(root, 'seeded');
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const manifest = [];
SEEDS.forEach(([code, baseName, what, edit], i) => {
  const file = `${String(i + 1).padStart(2, '0')}-${code}-${baseName}.py`;
  const text = edit(base(`${baseName}.py`));
  fs.writeFileSync(path.join(outDir, file), `# Seeded: ${code} (${what}) into base/${baseName}.py by scripts/lint_seed.mjs\n` + text);
  manifest.push({ file, code, base: baseName, what });
});
fs.writeFileSync(path.join(root, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`${manifest.length} seeded scripts in ${path.relative(process.cwd(), outDir)}`);
