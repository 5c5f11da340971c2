// Roles, quantities and total/component flags of real metric names (YOLO, Lightning, mmdetection,
// detectron2, fairseq, nanoGPT, Hugging Face), and names that must not crash the lookup.
import { strict as assert } from 'node:assert';
import { classify, explicitSplit, splitOf } from '../../../src/ingest/roles';
import { rng } from '../checks/fake';

describe('ingest: roles of real metric names', () => {
  it('recognises component and total losses with their quantity and split', () => {
    // [key, role, split, quantity, total]
    const cases: [string, string, string, string, boolean][] = [
      // Ultralytics YOLO results.csv
      ['train/box_loss', 'train_loss', 'train', 'box_loss', false],
      ['train/cls_loss', 'train_loss', 'train', 'cls_loss', false],
      ['train/dfl_loss', 'train_loss', 'train', 'dfl_loss', false],
      ['val/box_loss', 'val_loss', 'val', 'box_loss', false],
      ['val/cls_loss', 'val_loss', 'val', 'cls_loss', false],
      ['val/dfl_loss', 'val_loss', 'val', 'dfl_loss', false],
      // Lightning
      ['train/nll_loss', 'train_loss', 'train', 'nll_loss', false],
      ['val/rmse_loss', 'val_loss', 'val', 'rmse_loss', false],
      ['train_loss_step', 'train_loss', 'train', 'loss', true],
      ['train_loss_epoch', 'train_loss', 'train', 'loss', true],
      ['val_loss', 'val_loss', 'val', 'loss', true],
      ['data_loss_epoch', 'train_loss', 'train', 'data_loss', false],
      ['val/box_loss_epoch', 'val_loss', 'val', 'box_loss', false],
      // mmdetection (log.json rows carry mode train/val → split prefix)
      ['loss_cls', 'train_loss', 'train', 'loss_cls', false],
      ['loss_bbox', 'train_loss', 'train', 'loss_bbox', false],
      ['loss', 'train_loss', 'train', 'loss', true],
      ['val/loss_bbox', 'val_loss', 'val', 'loss_bbox', false],
      ['s0.loss_cls', 'train_loss', 'train', 's0_loss_cls', false],
      // detectron2 metrics.json
      ['loss_box_reg', 'train_loss', 'train', 'loss_box_reg', false],
      ['loss_rpn_cls', 'train_loss', 'train', 'loss_rpn_cls', false],
      ['loss_rpn_loc', 'train_loss', 'train', 'loss_rpn_loc', false],
      ['total_loss', 'train_loss', 'train', 'loss', true],
      ['validation_loss', 'val_loss', 'val', 'loss', true],
      // fairseq
      ['nll_loss', 'train_loss', 'train', 'nll_loss', false],
      ['train_nll_loss', 'train_loss', 'train', 'nll_loss', false],
      ['valid_loss', 'val_loss', 'val', 'loss', true],
      ['valid_nll_loss', 'val_loss', 'val', 'nll_loss', false],
      // Hugging Face
      ['train_loss', 'train_loss', 'train', 'loss', true],
      ['eval_loss', 'val_loss', 'val', 'loss', true],
      ['eval_squad_loss', 'val_loss', 'val', 'squad_loss', true],
    ];
    for (const [key, role, split, quantity, total] of cases) {
      const c = classify(key);
      assert.deepEqual([key, c.role, c.split, c.quantity, c.total], [key, role, split, quantity, total]);
    }
  });

  it('pairs train and validation series of the same quantity', () => {
    const q = (k: string): string => classify(k).quantity;
    assert.equal(q('train/box_loss'), q('val/box_loss'));
    assert.equal(q('loss'), q('val_loss'));
    assert.equal(q('train_loss'), q('eval_loss'));
    assert.equal(q('train_loss_step'), q('val_loss_epoch'));
    assert.notEqual(q('train/box_loss'), q('val/cls_loss'));
  });

  it('recognises gradient norms (fairseq gnorm, nanoGPT norm) and marks squared norms', () => {
    for (const k of ['gnorm', 'train_gnorm', 'norm', 'grad_norm', 'train/grad_norm', 'grad_2.0_norm_total']) {
      const c = classify(k);
      assert.deepEqual([k, c.role, c.squared], [k, 'grad_norm', false]);
    }
    const sq = classify('grad_norm_square');
    assert.deepEqual([sq.role, sq.squared], ['grad_norm', true]);
  });

  it('keeps names that merely contain "loss" out of the losses', () => {
    for (const k of [
      'loss_scale',
      'train/loss_scale',
      'loss_weight',
      'best_val_loss',
      'lossless_ratio',
      'validation/evaluation_loss_vs_iterations',
    ]) {
      assert.equal(classify(k).role === 'train_loss' || classify(k).role === 'val_loss', false, k);
    }
    assert.equal(classify('test_loss').role, 'other');
    assert.equal(classify('val_acc').role, 'val_accuracy');
    assert.equal(classify('lr-Adam').role, 'learning_rate');
  });

  it('does not crash or misclassify Object.prototype names (fuzz)', () => {
    const special = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__', 'prototype'];
    for (const w of special) {
      for (const key of [w, `${w}/loss`, `train/${w}`, `${w}_loss`, `loss_${w}`, `val/${w}`, `${w}.${w}`, `${w}_${w}`]) {
        const c = classify(key);
        assert.ok(typeof c.role === 'string' && typeof c.quantity === 'string', key);
        assert.ok(['train', 'val', 'test', 'none'].includes(c.split), key);
      }
      assert.equal(splitOf(w), undefined, w);
      assert.equal(explicitSplit(w), undefined, w);
    }
    const r = rng(17);
    const alphabet = [
      '_',
      '/',
      '.',
      '-',
      'loss',
      'val',
      'train',
      'eval',
      'norm',
      'constructor',
      '__proto__',
      'toString',
      'a',
      '0',
      'é',
      '\u0000',
      ' ',
    ];
    for (let i = 0; i < 5000; i++) {
      const n = 1 + Math.floor(r.uniform() * 8);
      let key = '';
      for (let k = 0; k < n; k++) key += alphabet[Math.floor(r.uniform() * alphabet.length)];
      const c = classify(key);
      assert.ok(['train', 'val', 'test', 'none'].includes(c.split), key);
    }
    // linear time on a long adversarial name
    const long = 'loss_'.repeat(20000) + 'x';
    const t0 = Date.now();
    classify(long);
    classify('_'.repeat(100000) + 'val');
    assert.ok(Date.now() - t0 < 500, `${Date.now() - t0} ms`);
  });
});

describe('roles: camelCase and PascalCase keys from console logs', () => {
  it('ValLoss / TrainLoss / valAcc / gradNorm are split words like val_loss', () => {
    assert.equal(classify('ValLoss').role, 'val_loss');
    assert.equal(classify('TrainLoss').role, 'train_loss');
    assert.equal(classify('ValLoss').quantity, classify('TrainLoss').quantity);
    assert.equal(classify('valAcc').role, 'val_accuracy');
    assert.equal(classify('gradNorm').role, 'grad_norm');
    assert.equal(classify('LR').role, 'learning_rate');
    assert.equal(classify('mAP50').role, 'other');
  });
});
