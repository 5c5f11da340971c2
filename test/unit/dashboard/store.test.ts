import assert from 'node:assert/strict';
import { cardXLog, DEFAULT_STATE, parseState } from '../../../src/shared/messages';
import { cardOf } from '../../../src/shared/cards';
import { compileRunFilter, filterText } from '../../../src/shared/runFilter';
import { DEFAULT_UI, needsData, reduce, type ViewState } from '../../../webview/store';

const v0: ViewState = { state: DEFAULT_STATE, ui: DEFAULT_UI };

describe('dashboard: view store, cards, run filter', () => {
  it('actions change the state explicitly; data actions ask the host for a frame', () => {
    let v = reduce(v0, { type: 'setRange', range: { min: 1, max: 5 } });
    v = reduce(v, { type: 'setXAxis', xAxis: 'relstep' });
    assert.equal(v.state.range, null, 'a new axis resets the zoom');
    v = reduce(v, { type: 'toggleCard', card: 'lr' });
    v = reduce(v, { type: 'togglePin', card: 'm:g1_loss' });
    v = reduce(v, { type: 'setYLog', card: 'grad_norm', on: true });
    assert.deepEqual(v.state.yLog, {}, 'the default is not stored');
    v = reduce(v, { type: 'setYLog', card: 'loss', on: true });
    v = reduce(v, { type: 'setEnvelope', on: true });
    assert.equal(v.state.envelope, true);
    assert.deepEqual(v.state.collapsed, ['lr']);
    assert.deepEqual(v.state.pinned, ['m:g1_loss']);
    assert.deepEqual(v.state.yLog, { loss: true });
    assert.deepEqual(parseState(JSON.parse(JSON.stringify(v.state))), v.state, 'the state round-trips');
    v = reduce(v, { type: 'highlightRun', runId: 'a' });
    assert.equal(reduce(v, { type: 'highlightRun', runId: 'a' }).ui.highlightRun, null, 'clicking again clears');
    v = reduce(v, { type: 'sortTable', column: 'bestVal' });
    assert.equal(v.ui.tableSort.descending, true);
    assert.equal(needsData({ type: 'setFilter', filter: 'x', regex: false }), true);
    assert.equal(needsData({ type: 'setYLog', card: 'loss', on: true }), false);
    assert.equal(needsData({ type: 'highlightRun', runId: null }), false);
  });

  it('states saved by 0.1.0 still load (panel ids map to cards)', () => {
    const old = {
      version: 1,
      runIds: null,
      xAxis: 'step',
      xLog: false,
      yLog: { loss: false, grad: true, lr: false, acc: true, other: false },
      smoothing: 0.6,
      range: null,
      other: null,
      table: false,
    };
    const st = parseState(old);
    assert.equal(st.yLog.grad_norm, true);
    assert.equal(st.yLog.accuracy, true);
    assert.equal(st.filter, '');
    assert.deepEqual(st.collapsed, []);
    assert.throws(() => parseState({ ...old, collapsed: 'x' }), /collapsed/);
  });

  it('one card per metric: train and val overlaid, eval_gN_loss separate, recomputed CE in the loss card', () => {
    const c = (key: string, role: Parameters<typeof cardOf>[0]['role']) => cardOf({ key, role }).id;
    assert.equal(c('train/loss', 'train_loss'), 'loss');
    assert.equal(c('val/loss', 'val_loss'), 'loss');
    assert.equal(c('eval_loss', 'val_loss'), 'loss');
    assert.equal(c('loss', 'train_loss'), 'loss');
    assert.equal(c('recomputed/loss', 'train_loss'), 'loss');
    assert.equal(c('train_acc', 'accuracy'), 'accuracy');
    assert.equal(c('val_accuracy', 'val_accuracy'), 'accuracy');
    assert.equal(c('learning_rate', 'learning_rate'), 'lr');
    assert.equal(c('grad_norm', 'grad_norm'), 'grad_norm');
    const g = [0, 1, 2, 3, 4, 5].map((i) => cardOf({ key: `eval_g${i}_loss`, role: 'val_loss' }));
    assert.equal(new Set(g.map((x) => x.id)).size, 6);
    assert.ok(g.every((x) => x.group === 'eval_'));
    assert.equal(c('train/perplexity', 'other'), c('val/perplexity', 'other'));
    assert.equal(cardOf({ key: 'charts/episodic_return', role: 'other' }).group, 'charts/');
  });

  it('run filter: substring, RE2 regex (no catastrophic backtracking), invalid regex reported', () => {
    const names = ['sweep/lr_0.001_seed3', 'sweep/lr_0.01_seed1', 'nan'];
    const sub = compileRunFilter('SEED', false);
    assert.ok(sub.ok);
    assert.deepEqual(
      names.filter((n) => sub.ok && sub.test(n)),
      names.slice(0, 2),
    );
    const re = compileRunFilter('lr_0\\.0+1_seed\\d$', true);
    assert.ok(re.ok && re.test('sweep/lr_0.001_seed3') && re.test('sweep/lr_0.01_seed1') && !re.test('nan'));
    const evil = compileRunFilter('(a+)+$', true);
    const t0 = performance.now();
    assert.ok(evil.ok && !evil.test('a'.repeat(50_000) + 'b'));
    assert.ok(performance.now() - t0 < 2000, 'linear time');
    const bad = compileRunFilter('(', true);
    assert.equal(bad.ok, false);
    assert.equal(compileRunFilter('x'.repeat(501), false).ok, false);
    assert.equal(filterText({ name: 'seed3', group: 'sweep' }), 'sweep/seed3');
  });

  it('per-card log x: an override of the toolbar log x, kept in the state; the toolbar resets the cards', () => {
    let v = reduce(v0, { type: 'setXLogCard', card: 'loss', on: true });
    assert.deepEqual(v.state.xLogCards, { loss: true });
    assert.equal(cardXLog(v.state, 'loss'), true);
    assert.equal(cardXLog(v.state, 'lr'), false);
    assert.equal(needsData({ type: 'setXLogCard', card: 'loss', on: true }), true, 'the host sends that card on a log grid');
    v = reduce(v, { type: 'setXLogCard', card: '__proto__', on: true });
    assert.equal(cardXLog(v.state, '__proto__'), true, 'a card named __proto__ is a key');
    assert.equal(cardXLog(v.state, 'constructor'), false);
    assert.deepEqual(parseState(JSON.parse(JSON.stringify(v.state))), v.state, 'the state round-trips');
    v = reduce(v, { type: 'setXLog', on: true });
    assert.deepEqual(v.state.xLogCards, {}, 'the toolbar sets every card');
    v = reduce(v, { type: 'setXLogCard', card: 'lr', on: false });
    assert.equal(cardXLog(v.state, 'lr'), false);
    assert.equal(cardXLog(v.state, 'loss'), true);
    v = reduce(v, { type: 'setXLogCard', card: 'lr', on: true });
    assert.deepEqual(v.state.xLogCards, {}, 'the same as the toolbar: not stored');
    const { xLogCards: _x, ...before } = DEFAULT_STATE;
    assert.deepEqual(parseState(before).xLogCards, {}, 'states saved before per-card log x load');
    assert.throws(() => parseState({ ...DEFAULT_STATE, xLogCards: { loss: 1 } }), /xLogCards/);
  });
});
