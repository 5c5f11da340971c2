// Adversarial console lines for the linear-time property test (and the before/after timing table):
// each makes `n` bytes (± a few) of the shape that made the old regexes backtrack, or that stresses a
// single-pass scanner (lookaheads, unterminated escapes, many tokens, many pairs).
export const ADVERSARIAL: Record<string, (n: number) => string> = {
  'step + spaces': (n) => `step${' '.repeat(n - 4)}`,
  'a= repeated': (n) => 'a='.repeat(n / 2),
  'long digit run': (n) => '1'.repeat(n),
  'long word': (n) => 'a'.repeat(n),
  'anchor + long word': (n) => `step 1 ${'a'.repeat(n - 7)}`,
  'loss loss …': (n) => 'loss '.repeat(n / 5),
  'unicode ━ü': (n) => '━ü'.repeat(n / 5),
  'step 1 loss=1 …': (n) => 'step 1 loss=1 '.repeat(n / 14),
  'int + spaces (ratio lookahead)': (n) => `1${' '.repeat(n - 2)}x`,
  '1 / 1 / …': (n) => '1 / '.repeat(n / 4),
  'dict of losses': (n) => `{${"'loss': 1, ".repeat(n / 11)}'x': 1}`,
  'keras pairs': (n) => `1/1 - ${'- loss: 1 '.repeat(n / 10)}`,
  'tqdm postfix': (n) => `Epoch 1: 5%|█| 1/9 [00:01<00:02, 1it/s, ${'loss=1, '.repeat(n / 8)}]`,
  'bar pieces 5%|1/2 [': (n) => '5%|█| 1/2 ['.repeat(n / 12),
  'unknown-total pieces 1it [': (n) => '1it ['.repeat(n / 5),
  'Val Loss: 1, … (under a header)': (n) => 'Val Loss: 1, '.repeat(n / 13),
  'unterminated ANSI': (n) => `\x1b[${'0;'.repeat(n / 2)}`,
  'epoch 1 | … pipes': (n) => `epoch 1 ${'| valid '.repeat(n / 8)}`,
};
