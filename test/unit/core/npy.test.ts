// .npy reader: every supported dtype in both byte orders, versions 1–3, and the error cases.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NpyStream, parseNpy, readNpy } from '../../../src/core/npy';
import { FIXTURES, manifest, num } from './helpers';

const dir = path.join(FIXTURES, 'npy');
const m = manifest();

const EXPECTED_CLASS: Record<string, string> = {
  f2: 'Float32Array',
  f4: 'Float32Array',
  f8: 'Float64Array',
  i1: 'Int8Array',
  i2: 'Int16Array',
  i4: 'Int32Array',
  i8: 'Float64Array',
  u1: 'Uint8Array',
  u2: 'Uint16Array',
  u4: 'Uint32Array',
  b1: 'Uint8Array',
};

describe('core: npy reader', () => {
  for (const c of m.npy.ok) {
    it(`reads ${c.file}`, () => {
      const file = path.join(dir, c.file);
      for (const a of [readNpy(file), parseNpy(fs.readFileSync(file), c.file)]) {
        assert.equal(a.dtype, c.dtype);
        assert.deepEqual([...a.shape], c.shape);
        assert.equal(a.data.constructor.name, EXPECTED_CLASS[c.dtype]);
        assert.equal(a.data.length, c.values.length);
        c.values.forEach((v, i) => {
          const want = num(v);
          if (Number.isNaN(want)) assert.ok(Number.isNaN(a.data[i]), `${c.file}[${i}]`);
          else assert.equal(a.data[i], want, `${c.file}[${i}]`);
        });
      }
    });
  }

  it('covers every dtype in both byte orders and versions 1–3', () => {
    const files = new Set(m.npy.ok.map((c) => c.file));
    for (const d of ['f2', 'f4', 'f8', 'i2', 'i4', 'i8', 'u2', 'u4']) {
      assert.ok(files.has(`${d}_le.npy`) && files.has(`${d}_be.npy`), d);
    }
    for (const v of [1, 2, 3]) assert.ok(files.has(`version_${v}.npy`));
  });

  for (const c of m.npy.ok) {
    it(`streams ${c.file} in row blocks (same values as the numpy manifest)`, async () => {
      const file = path.join(dir, c.file);
      const s = await NpyStream.open(file, { maxBytes: 1 << 20 });
      try {
        assert.equal(s.dtype, c.dtype);
        assert.deepEqual([...s.shape], c.shape);
        for (const block of [1, 2, 3]) {
          const got: number[] = [];
          for (let r = 0; r < s.rows; r += block) {
            const part = await s.readRows(r, Math.min(block, s.rows - r));
            assert.equal(part.constructor.name, EXPECTED_CLASS[c.dtype]);
            got.push(...part);
          }
          if (s.shape.length === 0 || s.rows === 0) got.splice(0, got.length, ...(await s.readAll()).data);
          assert.equal(got.length, c.values.length);
          c.values.forEach((v, i) => {
            const want = num(v);
            if (Number.isNaN(want)) assert.ok(Number.isNaN(got[i]!), `${c.file}[${i}]`);
            else assert.equal(got[i], want, `${c.file}[${i}] in ${block}-row blocks`);
          });
        }
      } finally {
        await s.close();
      }
    });
  }

  it('NpyStream refuses an array above maxBytes from its header, and a non-regular file', async () => {
    const file = path.join(dir, 'f8_le.npy');
    const a = readNpy(file);
    await assert.rejects(NpyStream.open(file, { maxBytes: a.data.length * 8 - 1 }), /f8_le\.npy: array of .* exceeds the sidecar limit/);
    await assert.rejects(NpyStream.open(dir, { maxBytes: 1 << 20 }), /not a regular file/);
    await assert.rejects(NpyStream.open(path.join(dir, 'nope.npy'), { maxBytes: 1 << 20 }), /nope\.npy: cannot open \(ENOENT\)/);
  });

  for (const e of m.npy.errors) {
    it(`rejects ${e.file} with one clear error naming the file`, async () => {
      await assert.rejects(NpyStream.open(path.join(dir, e.file), { maxBytes: 1 << 30 }), (err: Error) => err.message.includes(e.match));
      const file = path.join(dir, e.file);
      assert.throws(
        () => readNpy(file),
        (err: Error) => err.message.startsWith(file + ':') && err.message.includes(e.match),
      );
      assert.throws(
        () => parseNpy(fs.readFileSync(file), 'x.npy'),
        (err: Error) => err.message.startsWith('x.npy:') && err.message.includes(e.match),
      );
    });
  }

  it('rejects missing files, non-npy files and a truncated header', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-npy-'));
    try {
      assert.throws(() => readNpy(path.join(tmp, 'nope.npy')), /nope\.npy: cannot open/);
      fs.writeFileSync(path.join(tmp, 'text.npy'), 'hello world, not numpy');
      assert.throws(() => readNpy(path.join(tmp, 'text.npy')), /text\.npy: not a \.npy file/);
      fs.writeFileSync(path.join(tmp, 'empty.npy'), '');
      assert.throws(() => readNpy(path.join(tmp, 'empty.npy')), /empty\.npy: not a \.npy file/);
      const good = fs.readFileSync(path.join(dir, 'f8_le.npy'));
      fs.writeFileSync(path.join(tmp, 'head.npy'), good.subarray(0, 40));
      assert.throws(() => readNpy(path.join(tmp, 'head.npy')), /head\.npy: truncated/);
      assert.throws(() => parseNpy(good.subarray(0, 40), 'h.npy'), /h\.npy: truncated/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('readNpy returns a view over a single buffer for native-order data (no second copy)', () => {
    const a = readNpy(path.join(dir, 'f4_le.npy'));
    assert.equal(a.data.byteOffset, 0);
    assert.equal(a.data.buffer.byteLength, a.data.byteLength);
  });

  it('parseNpy does not alias the input buffer', () => {
    const buf = new Uint8Array(fs.readFileSync(path.join(dir, 'f8_le.npy')));
    const a = parseNpy(buf, 'f8');
    const before = a.data[0];
    buf.fill(0xff, buf.length - 48);
    assert.equal(a.data[0], before);
    assert.notEqual(a.data.buffer, buf.buffer);
  });
});
