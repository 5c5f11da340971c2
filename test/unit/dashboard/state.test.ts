import assert from 'node:assert/strict';
import { DEFAULT_STATE, parseState, restoreState } from '../../../src/shared/messages';

describe('dashboard: saved state (messages.ts)', () => {
  it('ignoring outliers is on by default, and in states saved before the option existed', () => {
    assert.equal(DEFAULT_STATE.ignoreOutliers, true);
    const { ignoreOutliers: _drop, ...old } = { ...DEFAULT_STATE, smoothing: 0.9 };
    const st = parseState(old);
    assert.equal(st.ignoreOutliers, true);
    assert.equal(st.smoothing, 0.9, 'the rest of an old state is kept');
  });

  it('the option round-trips and a wrong type is refused', () => {
    assert.equal(parseState({ ...DEFAULT_STATE, ignoreOutliers: false }).ignoreOutliers, false);
    assert.throws(() => parseState({ ...DEFAULT_STATE, ignoreOutliers: 'no' }), /ignoreOutliers/);
    assert.deepEqual(restoreState({ ...DEFAULT_STATE, ignoreOutliers: 1 }), DEFAULT_STATE);
  });
});
