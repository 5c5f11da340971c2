// Hardening of the TFRecord framing: growth cost, oversized and forged lengths, resynchronisation.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_RECORD, maskedCrc, TfEventsParser } from '../../src/ingest/parsers/tfevents';
import { loadRuns } from '../../src/ingest/index';
import { concat, eventBytes, RecSink, tfRecord } from '../unit/ingest/helpers';
import { tmpDir } from './helpers';

const scalar = (step: number, v: number): Uint8Array => tfRecord(eventBytes(step, 1700000000 + step, [{ tag: 'loss', simple: v }]));

/** A header claiming `n` data bytes with a valid length CRC (no data). */
function header(n: number): Uint8Array {
  const h = new Uint8Array(12);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, n % 2 ** 32, true);
  dv.setUint32(4, Math.floor(n / 2 ** 32), true);
  dv.setUint32(8, maskedCrc(h, 0, 8), true);
  return h;
}

function pushIn(p: TfEventsParser, bytes: Uint8Array, slice: number): void {
  for (let i = 0; i < bytes.length; i += slice) p.push(bytes.subarray(i, Math.min(bytes.length, i + slice)));
}

describe('security: tfevents framing', function () {
  this.timeout(60000);

  it('a 24 MiB record arriving in 64 KiB slices copies O(size) bytes (geometric growth), and is read', () => {
    const sink = new RecSink();
    const p = new TfEventsParser(sink);
    // one event with a large skipped field (an "image") and a scalar
    const big = new Uint8Array(24 << 20);
    const ev = eventBytes(7, 1700000000, [{ tag: 'loss', simple: 0.5 }]);
    const data = concat([ev, new Uint8Array([0x3a, 0x80, 0x80, 0x80, 0x0c]), big]); // field 7 (bytes), length 24 MiB
    pushIn(p, tfRecord(data), 64 << 10);
    assert.deepEqual(sink.errors, []);
    assert.deepEqual(
      sink.points.map((x) => [x.step, x.value]),
      [[7, 0.5]],
    );
    assert.ok(p.stats.copied < 3 * data.length, `copied ${p.stats.copied} bytes for a ${data.length}-byte record`);
  });

  it('a record over 64 MiB (here a claimed 400 MB) is reported and skipped without buffering it; later records are read', () => {
    const sink = new RecSink();
    const p = new TfEventsParser(sink);
    p.push(scalar(1, 1));
    const claimed = 400_000_000;
    assert.ok(claimed > MAX_RECORD);
    p.push(header(claimed));
    // stream 40 MiB of its "data" in 1 MiB slices: nothing is kept
    const slice = new Uint8Array(1 << 20).fill(0x41);
    const t0 = Date.now();
    for (let i = 0; i < 40; i++) p.push(slice);
    const ms = Date.now() - t0;
    assert.ok((p as unknown as { buf: Uint8Array }).buf.length <= 4 << 20, 'skipped data was buffered');
    p.push(scalar(2, 2));
    p.finish();
    assert.deepEqual(
      sink.points.map((x) => x.step),
      [1, 2],
    );
    assert.equal(sink.errors.length, 1);
    assert.match(sink.errors[0]!.message, /length 400000000 bytes exceeds the 64 MiB limit/);
    assert.ok(ms < 20000, `${ms} ms for 40 MiB`);
  });

  it('a forged length (valid length CRC) does not swallow the records after it — live, without finish()', () => {
    const sink = new RecSink();
    const p = new TfEventsParser(sink);
    const later = concat([scalar(2, 2), scalar(3, 3), scalar(4, 4)]);
    pushIn(p, concat([scalar(1, 1), header(10 << 20), later]), 7);
    assert.deepEqual(
      sink.points.map((x) => x.step),
      [1, 2, 3, 4],
    );
    assert.equal(sink.errors.length, 1);
    assert.match(sink.errors[0]!.message, /overruns a later valid record/);
  });

  it('a forged length at the end of a one-shot read: reported as a truncated last record', async () => {
    const dir = tmpDir();
    try {
      const f = path.join(dir, 'events.out.tfevents.1.host');
      // the forged header is followed by a record that is itself cut short: nothing valid later
      fs.writeFileSync(f, concat([scalar(1, 1), header(5000), scalar(2, 2).subarray(0, 20)]));
      const [run] = await loadRuns([f]);
      assert.deepEqual(run!.getSeries('loss')!.length, 1);
      assert.match(run!.parseErrors()[0]!.firstMessage, /truncated last record/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a corrupt length inside one record (data CRC fails): resynchronises on the next valid header', () => {
    const sink = new RecSink();
    const p = new TfEventsParser(sink);
    const a = scalar(1, 1);
    const b = scalar(2, 2);
    const c = scalar(3, 3);
    // record b claims 8 bytes more (valid length CRC): its "data" runs into c, whose header is then inside it
    const forged = concat([header(b.length - 16 + 8), b.subarray(12)]);
    p.push(concat([a, forged, c, scalar(4, 4)]));
    p.finish();
    assert.deepEqual(
      sink.points.map((x) => x.step),
      [1, 3, 4],
    );
    assert.ok(sink.errors.length >= 1 && sink.errors.length <= 2, JSON.stringify(sink.errors));
  });

  it('keeps the CRC and truncated-tail semantics: a half record waits, a corrupt data CRC is reported once', () => {
    const sink = new RecSink();
    const p = new TfEventsParser(sink);
    const r1 = scalar(1, 1);
    p.push(r1.subarray(0, 15));
    assert.deepEqual([sink.points.length, sink.errors.length], [0, 0]);
    p.push(r1.subarray(15));
    assert.equal(sink.points.length, 1);
    const bad = scalar(2, 2);
    bad[bad.length - 1] ^= 0xff;
    p.push(concat([bad, scalar(3, 3)]));
    assert.deepEqual(
      sink.points.map((x) => x.step),
      [1, 3],
    );
    assert.equal(sink.errors.length, 1);
    assert.match(sink.errors[0]!.message, /data CRC mismatch/);
  });

  it('a tag named __proto__ / constructor is an ordinary series', () => {
    const sink = new RecSink();
    const p = new TfEventsParser(sink);
    p.push(
      tfRecord(
        eventBytes(1, 1, [
          { tag: '__proto__', simple: 1 },
          { tag: 'constructor', simple: 2 },
          { tag: '__proto__', simple: 3 },
        ]),
      ),
    );
    assert.deepEqual(
      sink.points.map((x) => [x.key, x.value]),
      [
        ['__proto__', 1],
        ['constructor', 2],
        ['__proto__', 3],
      ],
    );
  });
});
