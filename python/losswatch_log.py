"""losswatch_log — write training logs that LossWatch reads (JSON Lines + .npy sidecars).

Copy this one file into your project. Standard library only; accepts PyTorch tensors, NumPy arrays,
plain numbers and (nested) lists without importing torch or numpy.

    from losswatch_log import LossWatchLogger

    lw = LossWatchLogger("runs/exp1/log.jsonl")            # logits every 50 steps (default)
    for step, (x, y) in enumerate(loader):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        ...
        lw.log(step, loss=loss, lr=opt.param_groups[0]["lr"], grad_norm=gn, epoch=epoch)
        if lw.should_log_logits(step):
            # Logs the first 8 rows, and the loss of exactly those rows (the callable is run on them).
            lw.log_logits(step, logits, y, loss=lambda z, t: F.cross_entropy(z, t), rows=8)
    lw.log_val(step, loss=val_loss, accuracy=val_acc, epoch=epoch)
    lw.close()

Format (one JSON object per line, each line written whole with one write under a lock):
    {"step": 12, "epoch": 0, "split": "train", "loss": 0.71, "grad_norm": 1.3, "lr": 0.01, "time": 1700000000.5}
    {"step": 100, "epoch": 1, "split": "val", "val_loss": 0.52, "val_accuracy": 0.8, "time": ...}
    {"step": 12, "split": "train", "logits": [[...], ...], "labels": [3, 1], "loss": 0.69,
     "loss_fn": "cross_entropy", "reduction": "mean", "label_smoothing": 0.0, "ignore_index": -100, "time": ...}
Large batches go to sidecars written before the line that names them:
    {"step": 12, ..., "logits_file": "batches/step_000012_train_logits.npy", "labels_file": "..."}
NaN and infinities are written as the JSON extension tokens NaN / Infinity / -Infinity.
"""

from __future__ import annotations

import array
import json
import os
import struct
import sys
import threading
import time

__all__ = ["LossWatchLogger", "write_npy", "LOSS_FNS", "REDUCTIONS"]
__version__ = "0.1.0"

LOSS_FNS = (
    "cross_entropy",
    "bce_with_logits",
    "nll",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
)
REDUCTIONS = ("mean", "sum", "none")

# ----------------------------------------------------------------------------------------------
# Conversions (duck-typed: torch.Tensor, numpy.ndarray / numpy scalars, Python numbers, lists)


def _is_tensor_like(x):
    return hasattr(x, "tolist") and hasattr(x, "shape") and not isinstance(x, (list, tuple))


def _to_number(v):
    """A JSON-able scalar: int, float (NaN/inf kept), bool, str or None."""
    t = type(v)
    if t is float or t is int or v is None or t is bool or t is str:
        return v
    if isinstance(v, (int, float, str)):  # subclasses (IntEnum, numpy.float64, …)
        return float(v) if isinstance(v, float) else (v if isinstance(v, str) else int(v))
    if hasattr(v, "detach"):  # torch tensor: avoid autograd, move to CPU
        v = v.detach()
        if hasattr(v, "cpu"):
            v = v.cpu()
    if hasattr(v, "item"):
        try:
            v = v.item()  # 0-d / 1-element tensor or numpy scalar
        except (ValueError, RuntimeError) as e:
            raise ValueError("expected a scalar, got something with shape %s" % (getattr(v, "shape", "?"),)) from e
        return _to_number(v)
    try:
        f = float(v)  # Decimal, Fraction, …
    except (TypeError, ValueError):
        raise TypeError("cannot log value of type %s as a number" % type(v).__name__) from None
    return f


def _as_cpu(x):
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu"):
        x = x.cpu()
    return x


def _dtype_code(x):
    """numpy-style dtype code ('f4', 'f8', 'i8', …) of a tensor/array, or None for lists."""
    dt = getattr(x, "dtype", None)
    if dt is None:
        return None
    s = str(dt)  # torch: 'torch.float32'; numpy: 'float32'
    s = s.replace("torch.", "")
    return {
        "float32": "f4",
        "float": "f4",
        "float64": "f8",
        "double": "f8",
        "float16": "f2",
        "half": "f2",
        "bfloat16": "bf16",
        "int64": "i8",
        "long": "i8",
        "int32": "i4",
        "int": "i4",
        "int16": "i2",
        "int8": "i1",
        "uint8": "u1",
        "bool": "b1",
    }.get(s, s)


def _to_nested(x):
    """Nested Python lists of numbers from a tensor / array / list (floats stay exact doubles)."""
    if _is_tensor_like(x):
        x = _as_cpu(x)
        code = _dtype_code(x)
        if code in ("f2", "bf16") and hasattr(x, "float"):
            x = x.float()  # half precision: widen (exactly) before tolist
        return x.tolist()
    if isinstance(x, tuple):
        return [_to_nested(v) for v in x]
    if isinstance(x, list):
        return [_to_nested(v) if isinstance(v, (list, tuple)) or _is_tensor_like(v) else _to_number(v) for v in x]
    return _to_number(x)


def _shape(nested):
    shape = []
    v = nested
    while isinstance(v, list):
        shape.append(len(v))
        if not v:
            break
        v = v[0]
    return tuple(shape)


def _flatten(nested, shape, out, depth=0):
    if depth == len(shape):
        out.append(nested)
        return
    if not isinstance(nested, list) or len(nested) != shape[depth]:
        raise ValueError("ragged array: every row must have the same length (expected shape %s)" % (shape,))
    for v in nested:
        _flatten(v, shape, out, depth + 1)


def _count(nested):
    n = 1
    for d in _shape(nested):
        n *= d
    return n


# ----------------------------------------------------------------------------------------------
# .npy v1.0 writer (stdlib only)

_NPY_TYPECODES = {"<f4": "f", "<f8": "d", "<i8": "q", "<i4": "i", "<u1": "B", "|u1": "B", "|b1": "B"}


def write_npy(path, nested_or_flat, shape=None, descr="<f8"):
    """Write a C-order .npy v1.0 file. `nested_or_flat` is a nested list (shape inferred) or a flat list
    with `shape`. descr: '<f4', '<f8', '<i8', '<i4', '|u1' or '|b1'. Written to a temp file then renamed,
    so a reader never sees a half-written sidecar."""
    if descr not in _NPY_TYPECODES:
        raise ValueError("unsupported npy dtype %r" % descr)
    if shape is None:
        shape = _shape(nested_or_flat)
        flat = []
        _flatten(nested_or_flat, shape, flat)
    else:
        flat = nested_or_flat
        n = 1
        for d in shape:
            n *= d
        if len(flat) != n:
            raise ValueError("flat data has %d values but shape %s needs %d" % (len(flat), shape, n))
    code = _NPY_TYPECODES[descr]
    if code in ("q", "i", "B"):
        data = array.array(code, [int(v) for v in flat])
    else:
        data = array.array(code, [float(v) for v in flat])
    if sys.byteorder == "big" and data.itemsize > 1:
        data.byteswap()
    _write_npy_bytes(path, data.tobytes(), tuple(shape), descr)


def _npy_header(shape, descr):
    shape_s = "(" + "".join("%d, " % d for d in shape)
    shape_s = (shape_s[:-2] + ",)" if len(shape) == 1 else shape_s[:-2] + ")") if shape else "()"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_s)
    # magic(6) + version(2) + header_len(2) + header + padding + '\n' is a multiple of 64
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1")


def _write_npy_bytes(path, payload, shape, descr):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    tmp = "%s.tmp%d.%d" % (path, os.getpid(), threading.get_ident())
    with open(tmp, "wb") as f:
        f.write(_npy_header(shape, descr))
        f.write(payload)
    os.replace(tmp, path)


def _fast_npy(path, x):
    """Write a torch tensor / numpy array straight from its buffer. Returns False if not possible."""
    if not _is_tensor_like(x):
        return False
    x = _as_cpu(x)
    code = _dtype_code(x)
    if code in ("f2", "bf16", "i1", "i2", "u1") and hasattr(x, "float"):
        x = x.float() if code in ("f2", "bf16") else x.long()
        code = _dtype_code(x)
    if code not in ("f4", "f8", "i8", "i4", "b1"):
        return False
    if code == "b1":
        x = x.float() if hasattr(x, "float") else x.astype("float32")
        code = "f4"
    if hasattr(x, "numpy"):  # torch
        try:
            x = x.contiguous().numpy()
        except Exception:
            return False
    if not hasattr(x, "tobytes"):
        return False
    if hasattr(x, "copy") and hasattr(x, "flags") and not x.flags["C_CONTIGUOUS"]:
        x = x.copy(order="C")
    dstr = getattr(getattr(x, "dtype", None), "str", None)
    if dstr is None or dstr[0] not in "<|=":
        return False  # big-endian array: take the slow path
    descr = "<" + code if code != "b1" else "|b1"
    _write_npy_bytes(path, x.tobytes(), tuple(int(d) for d in x.shape), descr)
    return True


# ----------------------------------------------------------------------------------------------


def _row_slice(x, rows):
    if rows is None:
        return x
    if isinstance(x, tuple):
        x = list(x)
    return x[:rows]


def _nrows(x):
    if _is_tensor_like(x):
        s = tuple(x.shape)
        return s[0] if s else 0
    if isinstance(x, (list, tuple)):
        return len(x)
    return 0


class LossWatchLogger:
    """Thread-safe JSONL writer for LossWatch.

    path:         the .jsonl file (parent folders are created). Appends if it exists and append=True,
                  else truncates.
    every:        log_logits() cadence helper: should_log_logits(step) is True every `every` steps.
    inline_max:   batches with more than this many logit values go to .npy sidecars under
                  `<log folder>/batches/`.
    """

    def __init__(self, path, every=50, inline_max=2048, append=False, run_name=None):
        if int(every) < 1:
            raise ValueError("every must be >= 1")
        self.path = os.fspath(path)
        self.every = int(every)
        self.inline_max = int(inline_max)
        self._dir = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(self._dir, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if append else os.O_TRUNC)
        self._fd = os.open(self.path, flags, 0o644)
        self._lock = threading.Lock()
        self._closed = False
        self._sidecars = 0
        if run_name is not None:
            self._write({"run": str(run_name), "time": time.time()})

    # -- lines ----------------------------------------------------------------------------------

    def _write(self, obj):
        # json.dumps with default options uses the C encoder; it writes NaN / Infinity / -Infinity.
        data = (json.dumps(obj) + "\n").encode("utf-8")
        with self._lock:
            if self._closed:
                raise ValueError("LossWatchLogger is closed")
            n = os.write(self._fd, data)  # one write of the whole line (O_APPEND)
            if n < len(data):  # the OS wrote part of a huge line: finish it (still under the lock)
                view = memoryview(data)[n:]
                while view:
                    view = view[os.write(self._fd, view) :]

    def log(self, step, split="train", epoch=None, **scalars):
        """One scalar line: log(12, loss=0.71, grad_norm=1.3, lr=0.01, epoch=0). None values are skipped."""
        obj = {"step": step if type(step) is int else int(step)}
        if epoch is not None:
            obj["epoch"] = _to_number(epoch)
        obj["split"] = split if type(split) is str else str(split)
        for k, v in scalars.items():
            if v is not None:  # absent values are left out (e.g. a callback's missing grad_norm)
                obj[k] = _to_number(v)
        obj["time"] = time.time()
        self._write(obj)

    def log_val(self, step, loss=None, accuracy=None, epoch=None, **extra):
        """Validation line with unambiguous names: val_loss, val_accuracy, val_<extra>."""
        fields = {}
        if loss is not None:
            fields["val_loss"] = loss
        if accuracy is not None:
            fields["val_accuracy"] = accuracy
        for k, v in extra.items():
            fields[k if k.startswith("val_") else "val_" + k] = v
        self.log(step, split="val", epoch=epoch, **fields)

    def log_event(self, step, event, message="", **fields):
        """A free-form event line, e.g. log_event(5, "error", "Target 10 is out of bounds")."""
        obj = {"step": int(step), "event": str(event), "message": str(message)}
        for k, v in fields.items():
            obj[str(k)] = v if isinstance(v, str) else _to_number(v)
        obj["time"] = time.time()
        self._write(obj)

    def should_log_logits(self, step):
        return int(step) % self.every == 0

    def log_logits(
        self,
        step,
        logits,
        labels,
        loss=None,
        loss_fn="cross_entropy",
        reduction="mean",
        label_smoothing=0.0,
        ignore_index=-100,
        weight=None,
        split="train",
        rows=None,
        sidecar=None,
        **extra,
    ):
        """Log a batch of pre-loss inputs ("logits") with its labels and the framework's loss.

        logits:  [N, C] (or [N, C, d…]) — whatever was passed to the loss function.
        labels:  [N] class indices, or [N, C] one-hot / probability / multi-hot targets.
        loss:    the loss the framework computed for exactly these rows: a number/0-d tensor, or a
                 callable loss(logits_rows, labels_rows) that the logger calls on the logged rows.
        rows:    log only the first `rows` rows. Only allowed with a callable (or absent) loss,
                 because a full-batch loss would not match the logged rows.
        sidecar: True = always write .npy sidecars, False = always inline, None = inline up to
                 `inline_max` values.
        """
        if loss_fn not in LOSS_FNS:
            raise ValueError("loss_fn must be one of %s, got %r" % (", ".join(LOSS_FNS), loss_fn))
        if reduction not in REDUCTIONS:
            raise ValueError("reduction must be one of %s, got %r" % (", ".join(REDUCTIONS), reduction))
        n = _nrows(logits)
        if _nrows(labels) != n:
            raise ValueError("logits have %d rows but labels have %d" % (n, _nrows(labels)))
        if rows is not None and int(rows) < n:
            if loss is not None and not callable(loss):
                raise ValueError(
                    "rows=%d would log part of the batch with the full batch's loss; pass the loss as a "
                    "callable loss(logits, labels) so it is recomputed on the logged rows" % int(rows)
                )
            logits = _row_slice(logits, int(rows))
            labels = _row_slice(labels, int(rows))
        if callable(loss):
            loss = loss(logits, labels)
        obj = {"step": int(step), "split": str(split)}
        if sidecar is None:
            sidecar = _count_any(logits) > self.inline_max
        if sidecar:
            base = "step_%06d_%s" % (int(step), _safe(split))
            with self._lock:
                self._sidecars += 1
                uniq = self._sidecars
            stem = os.path.splitext(os.path.basename(self.path))[0]
            rel_l = "batches/%s_%s_%d_logits.npy" % (stem, base, uniq)
            rel_y = "batches/%s_%s_%d_labels.npy" % (stem, base, uniq)
            _save_array(os.path.join(self._dir, rel_l), logits, float_descr="<f8")
            _save_array(os.path.join(self._dir, rel_y), labels, float_descr="<f8")
            obj["logits_file"] = rel_l
            obj["labels_file"] = rel_y
        else:
            obj["logits"] = _checked(_to_nested(logits))
            obj["labels"] = _checked(_to_nested(labels))
        if loss is not None:
            obj["loss"] = _to_number(loss)
        obj["loss_fn"] = loss_fn
        obj["reduction"] = reduction
        obj["label_smoothing"] = float(label_smoothing)
        obj["ignore_index"] = int(ignore_index)
        if weight is not None:
            obj["weight"] = _to_nested(weight)
        for k, v in extra.items():
            obj[str(k)] = _to_nested(v)
        obj["time"] = time.time()
        self._write(obj)

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self):
        with self._lock:
            if not self._closed:
                self._closed = True
                os.close(self._fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def _checked(nested):
    """Raise on ragged nested lists (a reader could not make an array of them)."""
    _flatten(nested, _shape(nested), [])
    return nested


def _safe(s):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(s))[:32] or "x"


def _count_any(x):
    if _is_tensor_like(x):
        n = 1
        for d in tuple(x.shape):
            n *= int(d)
        return n
    return _count(_to_nested(x))


def _save_array(path, x, float_descr="<f8"):
    if _fast_npy(path, x):
        return
    nested = _to_nested(x)
    shape = _shape(nested)
    flat = []
    _flatten(nested, shape, flat)
    if all(isinstance(v, (bool, int)) for v in flat):
        descr = "<i8"
    else:
        descr = float_descr
        for v in flat:
            if not isinstance(v, (bool, int, float)):
                raise TypeError("cannot write value of type %s to .npy" % type(v).__name__)
    write_npy(path, flat, shape=shape, descr=descr)

