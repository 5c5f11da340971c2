import assert from 'node:assert/strict';
import { packSeries, unpackSeries, type HostMessage, type SeriesWindow } from '../../../src/shared/messages';
import { DEFAULT_STATE } from '../../../src/shared/messages';

const win = (runId: string, n: number, smooth: boolean): SeriesWindow => ({
  runId,
  key: 'loss',
  raw: {
    x: Float64Array.from({ length: n }, (_, i) => i),
    y: Float64Array.from({ length: n }, (_, i) => i / 3),
    idx: Uint32Array.from({ length: n }, (_, i) => i * 2),
  },
  smooth: smooth ? { x: Float64Array.from({ length: n }, (_, i) => i + 0.5), y: Float64Array.from({ length: n }, (_, i) => -i) } : null,
  nonFinite: [{ x: 1, kind: 'nan', index: 3, count: 2 }],
  length: 10 * n,
  skipped: 1,
});

describe('dashboard: series windows packed into one buffer for postMessage', () => {
  it('a frame of hundreds of windows (some empty) travels as one Float64Array and comes back equal', () => {
    const series = Array.from({ length: 300 }, (_, k) => win('r' + k, k % 7 === 0 ? 0 : k % 50, k % 2 === 0));
    const frame: HostMessage = {
      type: 'frame',
      seq: 3,
      state: DEFAULT_STATE,
      range: { min: 0, max: 49 },
      logRange: null,
      series,
      markers: [],
      highlight: null,
    };
    const packed = packSeries(frame) as { wire: Float64Array; series: Array<{ raw: { x: unknown } }> };
    assert.ok(packed.wire instanceof Float64Array);
    assert.ok(Array.isArray(packed.series[1].raw.x), 'windows hold offsets, not arrays');
    // What VS Code does to the one buffer (a structured copy), then unpacking in the webview.
    const back = unpackSeries(structuredClone(packed)) as typeof frame;
    assert.deepEqual(back, frame);
  });

  it('patches too; other messages pass through unchanged', () => {
    const patch: HostMessage = {
      type: 'patch',
      seq: 1,
      range: null,
      logRange: null,
      patches: [{ ...win('a', 5, true), cutX: 2 }],
      markers: null,
    };
    assert.deepEqual(unpackSeries(structuredClone(packSeries(patch))), patch);
    const runs: HostMessage = { type: 'runs', runs: [] };
    assert.equal(packSeries(runs), runs);
    assert.equal(unpackSeries(runs), runs);
  });
});
