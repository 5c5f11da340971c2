"""Tests for losswatch_log.py. Run:  python3 -m unittest discover -s python -p 'test_*.py'
Works with the standard library alone; the NumPy / PyTorch cases run when those are installed."""

import json
import math
import os
import shutil
import struct
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import losswatch_log as lwl  # noqa: E402
from losswatch_log import LossWatchLogger, write_npy  # noqa: E402

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None
try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n") or not data, "file must end with a newline"
    return [json.loads(l) for l in data.decode("utf-8").split("\n") if l]


def read_npy(path):
    """Minimal independent .npy v1.0 reader (so the test does not need numpy)."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:6] == b"\x93NUMPY", "bad magic"
    assert raw[6:8] == b"\x01\x00", "not v1.0"
    (hlen,) = struct.unpack("<H", raw[8:10])
    assert (10 + hlen) % 64 == 0, "header not 64-aligned"
    header = raw[10 : 10 + hlen].decode("latin1")
    assert header.endswith("\n")
    meta = eval(header, {"__builtins__": {}}, {"False": False, "True": True})  # a dict literal
    code = {"<f4": "f", "<f8": "d", "<i8": "q", "<i4": "i", "|b1": "?", "|u1": "B"}[meta["descr"]]
    n = 1
    for d in meta["shape"]:
        n *= d
    vals = list(struct.unpack("<%d%s" % (n, code), raw[10 + hlen :]))
    return meta, vals


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="lwlog")
        self.path = os.path.join(self.dir, "sub", "log.jsonl")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class ScalarLines(Base):
    def test_scalar_line_fields_and_order(self):
        with LossWatchLogger(self.path) as lw:
            lw.log(12, loss=0.71, grad_norm=1.3, lr=0.01, epoch=0, accuracy=None)
        (o,) = read_lines(self.path)
        self.assertNotIn("accuracy", o)
        self.assertEqual(list(o)[:3], ["step", "epoch", "split"])
        self.assertEqual(o["step"], 12)
        self.assertIsInstance(o["step"], int)
        self.assertEqual(o["split"], "train")
        self.assertEqual((o["loss"], o["grad_norm"], o["lr"], o["epoch"]), (0.71, 1.3, 0.01, 0))
        self.assertIsInstance(o["time"], float)

    def test_nan_and_inf_are_written_as_tokens(self):
        with LossWatchLogger(self.path) as lw:
            lw.log(1, loss=float("nan"), grad_norm=float("inf"), lr=-float("inf"))
        with open(self.path) as f:
            text = f.read()
        self.assertIn('"loss": NaN', text)
        self.assertIn('"grad_norm": Infinity', text)
        self.assertIn('"lr": -Infinity', text)
        (o,) = read_lines(self.path)
        self.assertTrue(math.isnan(o["loss"]))

    def test_val_names(self):
        with LossWatchLogger(self.path) as lw:
            lw.log_val(100, loss=0.52, accuracy=0.8, epoch=1, top5=0.9)
        (o,) = read_lines(self.path)
        self.assertEqual(o["split"], "val")
        self.assertEqual((o["val_loss"], o["val_accuracy"], o["val_top5"]), (0.52, 0.8, 0.9))
        self.assertNotIn("loss", o)

    def test_bad_values_raise_clear_errors(self):
        with LossWatchLogger(self.path) as lw:
            with self.assertRaisesRegex(TypeError, "cannot log value of type"):
                lw.log(1, loss=object())
            with self.assertRaisesRegex(ValueError, "loss_fn must be one of"):
                lw.log_logits(1, [[0.0, 1.0]], [1], loss=0.3, loss_fn="mse")
            with self.assertRaisesRegex(ValueError, "reduction must be one of"):
                lw.log_logits(1, [[0.0, 1.0]], [1], loss=0.3, reduction="avg")
            with self.assertRaisesRegex(ValueError, "2 rows but labels have 1"):
                lw.log_logits(1, [[0.0, 1.0], [1.0, 0.0]], [1], loss=0.3)
            with self.assertRaisesRegex(ValueError, "ragged"):
                lw.log_logits(1, [[0.0, 1.0], [1.0]] * 2000, [1, 0] * 2000, loss=0.3)
            with self.assertRaisesRegex(ValueError, "ragged"):
                lw.log_logits(1, [[0.0, 1.0], [1.0]], [1, 0], loss=0.3)
        self.assertEqual(read_lines(self.path), [], "no partial line after a failed call")
        with self.assertRaisesRegex(ValueError, "closed"):
            lw.log(2, loss=1.0)
        with self.assertRaises(ValueError):
            LossWatchLogger(self.path, every=0)

    def test_truncates_unless_append(self):
        with LossWatchLogger(self.path) as lw:
            lw.log(0, loss=1.0)
        with LossWatchLogger(self.path, append=True) as lw:
            lw.log(1, loss=0.5)
        self.assertEqual([o["step"] for o in read_lines(self.path)], [0, 1])
        with LossWatchLogger(self.path) as lw:
            lw.log(2, loss=0.25)
        self.assertEqual([o["step"] for o in read_lines(self.path)], [2])


class LogitRecords(Base):
    def test_inline_record_from_lists(self):
        with LossWatchLogger(self.path, every=5) as lw:
            self.assertTrue(lw.should_log_logits(10))
            self.assertFalse(lw.should_log_logits(11))
            lw.log_logits(10, [[1.0, 2.0, 3.0], [0.5, float("nan"), 0.0]], [2, 0], loss=0.41)
        (o,) = read_lines(self.path)
        self.assertEqual(o["logits"][0], [1.0, 2.0, 3.0])
        self.assertTrue(math.isnan(o["logits"][1][1]))
        self.assertEqual(o["labels"], [2, 0])
        self.assertEqual(o["loss"], 0.41)
        self.assertEqual(
            (o["loss_fn"], o["reduction"], o["label_smoothing"], o["ignore_index"], o["split"]),
            ("cross_entropy", "mean", 0.0, -100, "train"),
        )

    def test_rows_needs_a_callable_loss(self):
        z = [[float(i), 0.0] for i in range(10)]
        y = [0] * 10
        with LossWatchLogger(self.path) as lw:
            with self.assertRaisesRegex(ValueError, "callable"):
                lw.log_logits(0, z, y, loss=1.0, rows=3)
            seen = []

            def loss(a, b):
                seen.append((len(a), len(b)))
                return 0.123

            lw.log_logits(0, z, y, loss=loss, rows=3)
            lw.log_logits(1, z, y, loss=0.5, rows=10)  # rows >= N: whole batch, plain loss fine
        self.assertEqual(seen, [(3, 3)])
        a, b = read_lines(self.path)
        self.assertEqual(len(a["logits"]), 3)
        self.assertEqual(a["loss"], 0.123)
        self.assertEqual(len(b["logits"]), 10)

    def test_sidecars_from_lists(self):
        z = [[float(i) / 7.0, -float(i), 1e-300] for i in range(5)]
        y = [[0.0, 1.0, 0.0]] * 5
        with LossWatchLogger(self.path, inline_max=4) as lw:
            lw.log_logits(7, z, y, loss=float("inf"), loss_fn="categorical_crossentropy", weight=[1, 2, 3])
            lw.log_logits(8, z, [0, 1, 2, 1, 0], loss=1.5, sidecar=True)
            lw.log_logits(9, z, [0, 1, 2, 1, 0], loss=1.5, sidecar=False)
        a, b, c = read_lines(self.path)
        self.assertNotIn("logits", a)
        self.assertTrue(a["logits_file"].startswith("batches/"))
        self.assertNotEqual(a["logits_file"], b["logits_file"])
        self.assertEqual(a["weight"], [1, 2, 3])
        self.assertEqual(a["loss"], float("inf"))
        base = os.path.dirname(self.path)
        meta, vals = read_npy(os.path.join(base, a["logits_file"]))
        self.assertEqual((meta["descr"], meta["shape"], meta["fortran_order"]), ("<f8", (5, 3), False))
        self.assertEqual(vals, [v for row in z for v in row])  # exact doubles
        meta, vals = read_npy(os.path.join(base, a["labels_file"]))
        self.assertEqual((meta["descr"], meta["shape"]), ("<f8", (5, 3)))
        meta, vals = read_npy(os.path.join(base, b["labels_file"]))
        self.assertEqual((meta["descr"], meta["shape"], vals), ("<i8", (5,), [0, 1, 2, 1, 0]))
        self.assertIn("logits", c)
        leftovers = [f for f in os.listdir(os.path.join(base, "batches")) if ".tmp" in f]
        self.assertEqual(leftovers, [])

    def test_write_npy_shapes(self):
        p = os.path.join(self.dir, "a.npy")
        write_npy(p, [1, 2, 3], descr="<i8")
        self.assertEqual(read_npy(p), ({"descr": "<i8", "fortran_order": False, "shape": (3,)}, [1, 2, 3]))
        write_npy(p, [0.5] * 6, shape=(1, 2, 3), descr="<f4")
        self.assertEqual(read_npy(p)[0]["shape"], (1, 2, 3))
        with self.assertRaisesRegex(ValueError, "needs 6"):
            write_npy(p, [0.5] * 5, shape=(2, 3))
        with self.assertRaisesRegex(ValueError, "unsupported"):
            write_npy(p, [1], descr=">f4")

    @unittest.skipIf(np is None, "numpy not installed")
    def test_numpy_arrays(self):
        z = (np.arange(12, dtype=np.float32).reshape(4, 3) / 3).astype(np.float32)
        y = np.array([0, 2, 1, 1], dtype=np.int64)
        with LossWatchLogger(self.path, inline_max=4) as lw:
            lw.log(3, loss=np.float32(0.25), grad_norm=np.float64(2.0), epoch=np.int64(1))
            lw.log_logits(3, z, y, loss=np.float32(1.25))
            lw.log_logits(4, z.T.copy().T, y, loss=1.0, sidecar=False)  # non-contiguous view, inline
            lw.log_logits(5, z[:, ::2], y, loss=1.0)  # non-contiguous, sidecar
        s, a, b, c = read_lines(self.path)
        self.assertEqual((s["loss"], s["grad_norm"], s["epoch"]), (0.25, 2.0, 1))
        base = os.path.dirname(self.path)
        za = np.load(os.path.join(base, a["logits_file"]))
        self.assertEqual(za.dtype, np.float32)
        np.testing.assert_array_equal(za, z)
        np.testing.assert_array_equal(np.load(os.path.join(base, a["labels_file"])), y)
        self.assertEqual(np.array(b["logits"], dtype=np.float32).tolist(), z.tolist())  # exact
        np.testing.assert_array_equal(np.load(os.path.join(base, c["logits_file"])), z[:, ::2])
        # the stdlib writer's files load in numpy too
        p = os.path.join(self.dir, "w.npy")
        write_npy(p, [[1.5, 2.5], [3.5, float("nan")]], descr="<f4")
        got = np.load(p)
        self.assertEqual((got.dtype, got.shape), (np.float32, (2, 2)))
        self.assertTrue(np.isnan(got[1, 1]))

    @unittest.skipIf(torch is None, "torch not installed")
    def test_torch_tensors(self):
        z = torch.randn(16, 5, requires_grad=True)
        y = torch.randint(0, 5, (16,))
        loss = torch.nn.functional.cross_entropy(z, y)
        with LossWatchLogger(self.path, inline_max=40) as lw:
            lw.log(0, loss=loss, grad_norm=torch.tensor(1.5))
            lw.log_logits(0, z, y, loss=lambda a, b: torch.nn.functional.cross_entropy(a, b), rows=4)
            lw.log_logits(1, z, y, loss=loss)  # 80 values: sidecar
        s, a, b = read_lines(self.path)
        self.assertEqual(s["loss"], loss.item())
        self.assertEqual(a["logits"], z[:4].tolist())
        self.assertEqual(a["loss"], torch.nn.functional.cross_entropy(z[:4], y[:4]).item())
        base = os.path.dirname(self.path)
        meta, vals = read_npy(os.path.join(base, b["logits_file"]))
        self.assertEqual((meta["descr"], meta["shape"]), ("<f4", (16, 5)))
        self.assertEqual(vals, z.detach().reshape(-1).tolist())
        meta, vals = read_npy(os.path.join(base, b["labels_file"]))
        self.assertEqual((meta["descr"], vals), ("<i8", y.tolist()))


class Concurrency(Base):
    def test_threads_never_tear_lines(self):
        lw = LossWatchLogger(self.path)
        big = [[0.1234567890123] * 50] * 40  # ~30 KB lines interleaved with short ones

        def worker(t):
            for i in range(150):
                if i % 10 == 0:
                    lw.log_logits(i, big, [0] * 40, loss=0.5, split="t%d" % t, sidecar=False)
                else:
                    lw.log(i, split="t%d" % t, loss=float(i))

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        lw.close()
        lines = read_lines(self.path)  # json.loads raises on any torn / interleaved line
        self.assertEqual(len(lines), 6 * 150)
        for t in range(6):
            steps = [o["step"] for o in lines if o["split"] == "t%d" % t]
            self.assertEqual(steps, list(range(150)))


if __name__ == "__main__":
    unittest.main()
