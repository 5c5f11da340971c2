#!/usr/bin/python3
"""Writes PyTorch reference fixtures for the LossWatch numerical core.

Run with the Debian python that has torch:  /usr/bin/python3 scripts/gen_torch_fixtures.py
(`npm run fixtures:torch`). Output: test/fixtures/torch/{cases.json, *.npy, npy/*}.
The fixtures are committed so CI needs no torch.

Every reference number is computed by torch in float64. For float32 cases the logits are
stored as float32 and torch runs on those exact values upcast to float64, so the fixtures are
the exact answer for the float32 inputs (our float32 path must be within 1e-6 of it).
"""
import json
import math
import os
import shutil

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch')
INF = math.inf
NAN = math.nan
rng = np.random.default_rng(20240611)
cases = []
arrays = {}


def jnum(x):
    x = float(x)
    if math.isnan(x):
        return 'NaN'
    if math.isinf(x):
        return 'Infinity' if x > 0 else '-Infinity'
    return x


def save(name, arr):
    """Stores an array as .npy and returns its file name."""
    fname = name + '.npy'
    assert fname not in arrays, fname
    arrays[fname] = arr
    np.save(os.path.join(ROOT, fname), arr)
    return fname


def ce_case(name, logits, target, weight=None, ignore_index=-100, label_smoothing=0.0,
            reductions=('mean', 'sum', 'none'), dtype='f8', store_grad=True):
    logits = np.asarray(logits, dtype=np.float32 if dtype == 'f4' else np.float64)
    target = np.asarray(target)
    files = {'logits': save(name + '.logits', logits), 'target': save(name + '.target', target)}
    if weight is not None:
        weight = np.asarray(weight, dtype=np.float64)
        files['weight'] = save(name + '.weight', weight)
    z = torch.tensor(logits.astype(np.float64), dtype=torch.float64)
    t = torch.tensor(target)
    if t.dtype != torch.int64 and t.dtype.is_floating_point:
        t = t.to(torch.float64)
    w = None if weight is None else torch.tensor(weight, dtype=torch.float64)
    results = {}
    for red in reductions:
        zz = z.clone().requires_grad_(True)
        loss = F.cross_entropy(zz, t, weight=w, ignore_index=ignore_index, reduction=red,
                               label_smoothing=label_smoothing)
        (g,) = torch.autograd.grad(loss.sum(), zz)
        n = g.shape[0]
        r = {
            'gradNorm': jnum(g.norm()),
            'maxAbsGrad': jnum(g.abs().max()) if g.numel() else 0.0,
            'perSampleGradNorm': [jnum(v) for v in g.reshape(n, -1).norm(dim=1)],
        }
        if store_grad:
            r['grad'] = save(f'{name}.{red}.grad', g.detach().numpy())
        if red == 'none':
            r['loss'] = save(f'{name}.{red}.loss', loss.detach().numpy())
        else:
            r['loss'] = jnum(loss)
        results[red] = r
    cases.append({'name': name, 'fn': 'ce', 'dtype': dtype, 'files': files,
                  'options': {'ignoreIndex': ignore_index, 'labelSmoothing': label_smoothing},
                  'results': results})


def bce_case(name, logits, target, weight=None, pos_weight=None, dtype='f8'):
    logits = np.asarray(logits, dtype=np.float32 if dtype == 'f4' else np.float64)
    target = np.asarray(target, dtype=np.float64)
    files = {'logits': save(name + '.logits', logits), 'target': save(name + '.target', target)}
    w = pw = None
    if weight is not None:
        files['weight'] = save(name + '.weight', np.asarray(weight, dtype=np.float64))
        w = torch.tensor(weight, dtype=torch.float64)
    if pos_weight is not None:
        files['posWeight'] = save(name + '.posweight', np.asarray(pos_weight, dtype=np.float64))
        pw = torch.tensor(pos_weight, dtype=torch.float64)
    z = torch.tensor(logits.astype(np.float64))
    t = torch.tensor(target)
    results = {}
    for red in ('mean', 'sum', 'none'):
        zz = z.clone().requires_grad_(True)
        loss = F.binary_cross_entropy_with_logits(zz, t, weight=w, pos_weight=pw, reduction=red)
        (g,) = torch.autograd.grad(loss.sum(), zz)
        r = {'gradNorm': jnum(g.norm()), 'grad': save(f'{name}.{red}.grad', g.numpy())}
        r['loss'] = save(f'{name}.{red}.loss', loss.detach().numpy()) if red == 'none' else jnum(loss)
        results[red] = r
    cases.append({'name': name, 'fn': 'bce', 'dtype': dtype, 'files': files, 'results': results})


def softmax_case(name, logits, dtype='f8'):
    logits = np.asarray(logits, dtype=np.float32 if dtype == 'f4' else np.float64)
    z = torch.tensor(logits.astype(np.float64))
    files = {'logits': save(name + '.logits', logits)}
    results = {
        'softmax': save(name + '.softmax', torch.softmax(z, 1).numpy()),
        'logSoftmax': save(name + '.logsoftmax', torch.log_softmax(z, 1).numpy()),
        'logSumExp': save(name + '.logsumexp', torch.logsumexp(z, 1).numpy()),
    }
    cases.append({'name': name, 'fn': 'softmax', 'dtype': dtype, 'files': files, 'results': results})


def idx(n, c):
    return rng.integers(0, c, size=n).astype(np.int64)


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(os.path.join(ROOT, 'npy'))

    # --- softmax / log_softmax / logsumexp special rows
    special = np.array([
        [1.0, 2.0, 3.0, 4.0],
        [-INF, 0.5, -INF, 2.0],
        [-INF, -INF, -INF, -INF],
        [INF, 1.0, 2.0, 3.0],
        [INF, INF, 0.0, 0.0],
        [NAN, 1.0, 2.0, 3.0],
        [1e4, -1e4, 9999.5, 0.0],
        [-1e4, -1e4 + 1, -1e4 + 2, -1e4 + 3],
        [-INF, NAN, 1.0, 0.0],
        [0.0, 0.0, 0.0, 0.0],
    ])
    softmax_case('softmax_special', special)
    softmax_case('softmax_special_f32', special, dtype='f4')
    softmax_case('softmax_random', rng.normal(size=(7, 13)) * 5)

    # --- cross-entropy
    for dt in ('f8', 'f4'):
        s = '' if dt == 'f8' else '_f32'
        ce_case('basic' + s, rng.normal(size=(8, 5)), idx(8, 5), dtype=dt)
        ce_case('large_z' + s, rng.uniform(-1e4, 1e4, size=(16, 10)), idx(16, 10), dtype=dt)
        # logits clustered around 1e4 with small gaps: float32 cancellation hazards
        ce_case('large_offset' + s, 1e4 + rng.normal(size=(12, 9)) * 3, idx(12, 9), dtype=dt)
        # confident predictions: target is the arg-max by a gap of 5 … 40 (tiny losses)
        z = rng.normal(size=(10, 20))
        y = idx(10, 20)
        for i in range(10):
            z[i, y[i]] = z[i].max() + 5 + 3.5 * i
        ce_case('confident' + s, z, y, dtype=dt)
        z = rng.normal(size=(6, 8))
        mask = rng.random(size=(6, 8)) < 0.4
        y = idx(6, 8)
        mask[np.arange(6), y] = False
        z[mask] = -INF
        ce_case('neg_inf_mask' + s, z, y, dtype=dt)
        ce_case('vocab_50257' + s, rng.normal(size=(2, 50257)) * 3, idx(2, 50257), dtype=dt,
                reductions=('mean',) if dt == 'f8' else ('none', 'sum'), store_grad=dt == 'f8')
        ce_case('tall_10' + s, rng.normal(size=(300, 10)) * 4, idx(300, 10), dtype=dt)

    z = rng.normal(size=(5, 6))
    z[1, 3] = -INF
    ce_case('neg_inf_target', z, np.array([0, 3, 2, 5, 1]))
    z = rng.normal(size=(4, 3))
    z[2, :] = -INF
    ce_case('all_neg_inf_row', z, np.array([0, 1, 2, 0]))
    ce_case('all_neg_inf_row_ignored', z, np.array([0, 1, -100, 0]))
    z = rng.normal(size=(5, 4))
    z[1, 2] = NAN
    z[3, 0] = INF
    ce_case('nan_inf_rows', z, np.array([0, 1, 2, 3, 1]))
    ce_case('nan_inf_rows_ignored', z, np.array([0, -100, 2, -100, 1]))
    ce_case('nan_inf_rows_ignored_smooth', z, np.array([0, -100, 2, -100, 1]), label_smoothing=0.2)
    ce_case('c1', rng.normal(size=(4, 1)), np.zeros(4, dtype=np.int64))
    ce_case('c1_smooth', rng.normal(size=(4, 1)), np.zeros(4, dtype=np.int64), label_smoothing=0.3)
    ce_case('all_ignored', rng.normal(size=(3, 4)), np.full(3, -100))
    ce_case('all_ignored_smooth_weight', rng.normal(size=(3, 4)), np.full(3, -100),
            weight=rng.uniform(0.5, 2, size=4), label_smoothing=0.1)
    z = rng.normal(size=(5, 6))
    z[0, 1] = -INF
    z[3, 4] = -INF
    ce_case('smooth_neg_inf', z, idx(5, 4), label_smoothing=0.1)
    ce_case('smooth_neg_inf_zero_weight', z, np.array([0, 2, 3, 1, 5]), label_smoothing=0.1,
            weight=np.array([1.0, 0.0, 2.0, 1.0, 0.0, 0.5]))
    y = idx(20, 7)
    y[[2, 5, 11]] = -100
    ce_case('weight_ignore_smooth', rng.normal(size=(20, 7)) * 2, y,
            weight=rng.uniform(0.1, 3, size=7), label_smoothing=0.15)
    ce_case('weight_only', rng.normal(size=(20, 7)) * 2, idx(20, 7), weight=rng.uniform(0.1, 3, size=7))
    y = idx(10, 5)
    y[y == 3] = 0
    y[[1, 4]] = 3
    ce_case('custom_ignore_index', rng.normal(size=(10, 5)), y, ignore_index=3, label_smoothing=0.05)
    ce_case('smooth_one', rng.normal(size=(6, 5)), idx(6, 5), label_smoothing=1.0)
    ce_case('target_zero_weight', rng.normal(size=(6, 4)), np.array([0, 1, 2, 3, 1, 1]),
            weight=np.array([1.0, 0.0, 2.0, 0.5]))

    # probability targets
    p = rng.dirichlet(np.ones(6), size=9)
    ce_case('prob_target', rng.normal(size=(9, 6)) * 2, p)
    ce_case('prob_target_weight_smooth', rng.normal(size=(9, 6)) * 2, p,
            weight=rng.uniform(0.2, 2, size=6), label_smoothing=0.2)
    ce_case('prob_target_f32', rng.normal(size=(9, 6)) * 2, p, dtype='f4')
    onehot = np.eye(6)[idx(9, 6)]
    ce_case('one_hot', rng.normal(size=(9, 6)) * 2, onehot)
    z = rng.normal(size=(4, 5))
    z[0, 2] = -INF
    ce_case('prob_target_neg_inf', z, np.eye(5)[[0, 1, 3, 4]])

    # [N, C, d…]: classes on axis 1
    ce_case('nd_3d', rng.normal(size=(3, 4, 5)), rng.integers(0, 4, size=(3, 5)))
    y = rng.integers(0, 4, size=(2, 2, 3))
    y[0, 1, 2] = -100
    ce_case('nd_4d_weight_ignore_smooth', rng.normal(size=(2, 4, 2, 3)), y,
            weight=rng.uniform(0.5, 2, size=4), label_smoothing=0.1)
    ce_case('nd_3d_prob', rng.normal(size=(3, 4, 5)),
            np.moveaxis(rng.dirichlet(np.ones(4), size=(3, 5)), -1, 1))
    ce_case('nd_3d_f32', rng.normal(size=(3, 4, 5)) * 3, rng.integers(0, 4, size=(3, 5)), dtype='f4')

    # --- binary_cross_entropy_with_logits
    x = rng.normal(size=(6, 4)) * 5
    x[0, 0] = 80.0
    x[0, 1] = -80.0
    x[1, 2] = 1e4
    x[1, 3] = -1e4
    t = (rng.random(size=(6, 4)) < 0.5).astype(np.float64)
    t[2, :] = [0.25, 0.5, 0.75, 1.0]
    bce_case('bce_basic', x, t)
    bce_case('bce_basic_f32', x, t, dtype='f4')
    bce_case('bce_pos_weight', x, t, pos_weight=rng.uniform(0.5, 4, size=4))
    bce_case('bce_weight_pos_weight', x, t, weight=rng.uniform(0.1, 2, size=(6, 4)),
             pos_weight=rng.uniform(0.5, 4, size=4))
    x2 = np.array([[INF, -INF, NAN, 0.0], [-INF, INF, 1.0, 2.0]])
    t2 = np.array([[1.0, 0.0, 1.0, 0.5], [1.0, 0.0, 0.0, 1.0]])
    bce_case('bce_nonfinite', x2, t2)

    # --- npy reader suite (files written by numpy)
    npy = os.path.join(ROOT, 'npy')
    suite = []
    base = np.array([[0, 1, 2], [3, 100, 127]])
    for code in ('f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'b1'):
        for order in ('<', '>'):
            if code in ('i1', 'u1', 'b1') and order == '>':
                continue
            dt = np.dtype(order + code)
            vals = base.astype(dt)
            if code in ('i1', 'i2', 'i4', 'i8'):
                vals = (base - 60).astype(dt)
            if code in ('f2', 'f4', 'f8'):
                vals = np.array([[0.5, -1.25, INF], [-INF, NAN, 65504.0]], dtype=dt)
            if code == 'i8':
                vals = np.array([[-(2**40), 2**40, -1], [0, 7, -7]], dtype=dt)
            fname = f'{code}_{"le" if order == "<" else "be"}.npy'
            np.save(os.path.join(npy, fname), vals)
            suite.append({'file': fname, 'dtype': code, 'shape': list(vals.shape),
                          'values': [jnum(v) for v in vals.astype(np.float64).ravel()]})
    for ver in ((1, 0), (2, 0), (3, 0)):
        fname = f'version_{ver[0]}.npy'
        with open(os.path.join(npy, fname), 'wb') as f:
            np.lib.format.write_array(f, np.arange(6, dtype='<f4').reshape(2, 3), version=ver)
        suite.append({'file': fname, 'dtype': 'f4', 'shape': [2, 3], 'values': list(range(6))})
    np.save(os.path.join(npy, 'scalar.npy'), np.float64(3.5))
    suite.append({'file': 'scalar.npy', 'dtype': 'f8', 'shape': [], 'values': [3.5]})
    np.save(os.path.join(npy, 'empty.npy'), np.zeros((0, 4), dtype='<f4'))
    suite.append({'file': 'empty.npy', 'dtype': 'f4', 'shape': [0, 4], 'values': []})
    np.save(os.path.join(npy, 'fortran.npy'), np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    np.save(os.path.join(npy, 'object.npy'), np.array([1, 'a', None], dtype=object), allow_pickle=True)
    full = np.arange(100, dtype='<f8')
    np.save(os.path.join(npy, 'truncated.npy'), full)
    with open(os.path.join(npy, 'truncated.npy'), 'rb+') as f:
        f.truncate(os.path.getsize(os.path.join(npy, 'truncated.npy')) - 12)
    np.save(os.path.join(npy, 'complex.npy'), np.zeros(3, dtype=np.complex128))
    errors = [{'file': 'fortran.npy', 'match': 'Fortran'}, {'file': 'object.npy', 'match': 'object'},
              {'file': 'truncated.npy', 'match': 'truncated'}, {'file': 'complex.npy', 'match': 'dtype'}]

    with open(os.path.join(ROOT, 'cases.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'numpy': np.__version__, 'cases': cases,
                   'npy': {'ok': suite, 'errors': errors}}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(ROOT) for fn in fns)
    print(f'{len(cases)} cases, {len(suite)} npy files, {total / 1e6:.2f} MB in {os.path.normpath(ROOT)}')


if __name__ == '__main__':
    main()
