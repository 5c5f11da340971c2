import assert from 'node:assert/strict';
import { ColorAssigner, contrastRatio, deltaE, PALETTE_DARK, PALETTE_LIGHT, PALETTE_SIZE } from '../../../src/shared/palette';

describe('run palette', () => {
  for (const [name, pal, bg] of [
    ['dark', PALETTE_DARK, '#1e1e1e'],
    ['light', PALETTE_LIGHT, '#ffffff'],
  ] as const) {
    it(`${name}: ${PALETTE_SIZE} colours, each >= 3:1 on ${bg}, pairwise CIELAB distance >= 30`, () => {
      assert.equal(pal.length, PALETTE_SIZE);
      for (const c of pal) assert.ok(contrastRatio(c, bg) >= 3, `${c} on ${bg}: ${contrastRatio(c, bg)}`);
      for (let i = 0; i < pal.length; i++)
        for (let j = i + 1; j < pal.length; j++) assert.ok(deltaE(pal[i], pal[j]) >= 30, `${pal[i]} vs ${pal[j]}`);
    });
  }
  it('contrast ratio matches WCAG for black on white', () => {
    assert.equal(Math.round(contrastRatio('#000000', '#ffffff')), 21);
  });
  it('colours are distinct for up to 20 runs and stable when runs are added', () => {
    const a = new ColorAssigner();
    const first = Array.from({ length: 7 }, (_, i) => a.colorOf(`id${i}`, `run${i}`));
    assert.equal(new Set(first).size, 7);
    const more = Array.from({ length: 13 }, (_, i) => a.colorOf(`id${i + 7}`, `run${i + 7}`));
    assert.equal(new Set([...first, ...more]).size, 20);
    assert.deepEqual(
      Array.from({ length: 7 }, (_, i) => a.colorOf(`id${i}`, `run${i}`)),
      first,
    );
    // 200 runs: every colour used, indices in range.
    for (let i = 20; i < 200; i++) assert.ok(a.colorOf(`id${i}`, `run${i}`) < PALETTE_SIZE);
  });
  it('colours freed by removed runs are free again: new runs avoid the colours still in use', () => {
    const a = new ColorAssigner();
    for (let i = 0; i < 1000; i++) a.colorOf(`id${i}`, `run${i}`);
    const keep = Array.from({ length: 12 }, (_, i) => `id${i * 7}`);
    const before = keep.map((id) => a.colorOf(id, ''));
    a.retain(new Set(keep));
    assert.deepEqual(
      keep.map((id) => a.colorOf(id, '')),
      before,
    ); // kept runs keep their colours
    const inUse = new Set(before);
    for (let i = 0; inUse.size < PALETTE_SIZE; i++) {
      const c = a.colorOf(`new${i}`, `late${i}`);
      assert.ok(!inUse.has(c), `new run ${i} got colour ${c}, already in use`);
      inUse.add(c);
    }
  });
  it('a run name gets the same colour in a fresh session when it is alone', () => {
    assert.equal(new ColorAssigner().colorOf('x', 'baseline'), new ColorAssigner().colorOf('y', 'baseline'));
  });
});
