#!/usr/bin/python3
"""Expected values for the real-world regression corpus (test/fixtures/real).

Run:  /usr/bin/python3 scripts/corpus_expected.py          (writes test/fixtures/real/expected.json)
      /usr/bin/python3 scripts/corpus_expected.py --check  (exit 1 if expected.json is stale)
      /usr/bin/python3 scripts/corpus_expected.py --shared [DIR] [--check]
            the same values for the case folders of DIR (default: ../shared/corpus beside the clone, which holds
            real TensorBoard event files that are not committed here), written to test/fixtures/real/expected-shared.json
            with paths relative to DIR. Tests read those logs from ../shared/corpus when it is present and are
            skipped otherwise; this JSON (numbers only) keeps their expected values in the repository.

Every case folder under test/fixtures/real/ is walked generically (new folders are picked up without changes
here). The text logs of console/ are read by that folder's own reference reader (scripts/console_expected.py,
plain regexes, also independent of the TypeScript code); README/markdown captures there are not logs of a folder. Each log file is read with pandas / json / re and a small TFRecord + protobuf reader
written from the specs (https://www.tensorflow.org/tutorials/load_data/tfrecord, event.proto, summary.proto,
tensor.proto, protobuf wire format) -- independently of the TypeScript parsers. For every file the script
records, per series: the number of points, the first and last (step, value) and the NaN / +-inf counts.
Values that are not finite are written as the strings "NaN", "Infinity", "-Infinity" (what
`losswatch series --format json` prints).

Naming convention (the same keys `losswatch series --format json` reports, see docs/formats.md):
  csv          one series per column, key = header cell with surrounding blanks removed (YOLO pads them).
               Column roles: step = step|global_step|_step|iteration|iter, epoch = epoch,
               clock = time|timestamp|wall_time|_timestamp whose first value is a Unix time after 2000-01-01
               (seconds or ms) or a date text: these are the x axis, not series. A time-named column of
               small numbers (YOLO's elapsed seconds) is a metric series.
               Step of a row = its step cell, else its epoch cell, else the 0-based data-row index.
               An empty cell is absent (Lightning's sparse rows); nan/inf cells are points.
               A repeated header line and a blank line are not rows.
  hf           trainer_state.json log_history: every numeric key of an entry with a `step` except step/epoch;
               the final summary entry (the one holding train_runtime) is run metadata, not points.
  tfevents     key = tag; step = Event.step. simple_value scalars and TF2 tensor scalars (DT_FLOAT/DT_DOUBLE,
               rank 0: float_val, double_val or tensor_content). Histograms, images, text, graphs: skipped.
               A file inside a folder named train/ or validation/ (Keras TensorBoard callback) gets the
               folder as prefix: train/epoch_loss, validation/epoch_loss.
  mlflow       mlruns/<exp>/<run>/metrics/<key>: key = path under metrics/, lines `timestamp value step`.
  jsonl        one JSON object per line (detectron2 metrics.json, mmdet *.log.json): nested objects flattened
               with '/', step = step|global_step|_step|iteration|iter, else the 0-based record index;
               epoch is not a series, time|timestamp|wall_time|_timestamp are not series when their first
               value is a wall clock (as for csv; detectron2's per-iteration `time` is a series); a split field (split|phase|mode)
               prefixes the keys: {"mode": "val", "bbox_mAP": 0.3} -> val/bbox_mAP. Strings are ignored.
  text         console logs (nanoGPT, modded-nanoGPT, fairseq, Keras): only numbers next to a metric-like
               name (loss, acc, lr, ppl, grad_norm, f1, ...) on a line with a step/iter/epoch anchor, and
               Keras epoch summaries after `Epoch k/N`, and `Epoch [k/N], Train Loss: x, Val Loss: y` lines, also
               after a logging prefix (`INFO:Epoch 3: Train Loss=x, Val Loss=y`, `| Epoch [003/30] TrainLoss=x`)
               and `(epoch=20, val_loss=1.05)` / `saving for epoch:1 @ test accuracy 0.33` notes (step = k; the name is the text before `:`/`=` as printed;
               a leading split word becomes a prefix: `Train Loss` -> Train/Loss, `Train L1 Loss` -> Train/L1 Loss,
               `Val Loss` -> Val/Loss; `TrainLoss`, `val_acc`, `LR`, `Smoothed Validation Loss` stay as printed;
               a trailing % is dropped, the number kept as printed). Anything else in a text file is not a series.

Decisions where the tool's convention is debatable (what a practitioner reading the file by eye expects):
  * YOLO/detectron2 `time` columns are elapsed or per-iteration seconds, not wall clocks: they are series a
    practitioner may plot (training speed); only a Unix-time column is the x axis.
  * HF `epoch` is the x-axis companion of `step`, not a series; the summary entry's `train_loss` is a run
    average and not a point at the last step.
  * nanoGPT `step N: train loss A, val loss B` lines are evaluations: keys `train/loss` and `val/loss`;
    `iter N: loss X` lines give the per-iteration key `loss`.
  * A resumed run whose step goes back inside a series (a Keras CSVLogger appending a second fit, a restarted
    script, a run resumed from a checkpoint) replaces what it overlaps, as TensorBoard purges: when a point's
    step is below the series' last step (and its epoch did not increase: a per-epoch batch counter is no
    resume), the points at that step and after it are dropped. "first"/"last" are of the points kept.
  * Duplicate steps (YOLOv8 TensorBoard logs many batches at the same epoch step, a line logged twice) are all
    points: an equal step does not go back.
  * Text: a metric printed with a percent sign (`TrainAcc=75.40%`, `Accuracy on Test set: 31.03%`) is a value
    (the tool does not read it: a known gap); multi-word names are one series each.
"""
import json
import math
import os
import re
import struct
import sys

import pandas as pd

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'real'))
OUT = os.path.join(ROOT, 'expected.json')
SHARED = os.path.normpath(os.path.join(ROOT, '..', '..', '..', '..', 'shared', 'corpus'))
SHARED_OUT = os.path.join(ROOT, 'expected-shared.json')
# console/ has its own reference reader of the console shapes (scripts/console_expected.py, also independent of the
# TypeScript code): its points are used for the text files of that folder, then resumes are applied as everywhere.
CONSOLE = 'console'
NOT_LOGS = {'README.md', 'PROVENANCE.md', 'expected.json', 'expected-diagnostics.json', 'known-gaps.json'}

STEP_KEYS = {'step', 'global_step', '_step', 'iteration', 'iter'}
EPOCH_KEYS = {'epoch'}
TIME_KEYS = {'time', 'timestamp', 'wall_time', '_timestamp'}
UNIX_2000 = 946684800.0  # 2000-01-01T00:00:00Z in Unix seconds (a value in ms is larger still)
SPLIT_KEYS = {'split', 'phase', 'mode'}
SPLIT_WORDS = ('train', 'training', 'val', 'valid', 'validation', 'eval', 'evaluation', 'dev', 'test')


# ---------------------------------------------------------------- accumulation
class Acc:
    """Per series, the points in the order they stay after resumes (TensorBoard's purge, see the header)."""

    def __init__(self):
        self.points = {}  # key -> [(step, value, epoch)]

    def add(self, key, step, value, epoch=None):
        pts = self.points.setdefault(key, [])
        if pts and step < pts[-1][0]:
            last_epoch = pts[-1][2]
            new_epoch = epoch is not None and last_epoch is not None and epoch > last_epoch
            if not new_epoch:
                # the run went back: the points at this step and after it are replaced by what follows
                while pts and pts[-1][0] >= step:
                    pts.pop()
        pts.append((step, value, epoch))

    @property
    def series(self):
        out = {}
        for key, pts in self.points.items():
            nan = sum(1 for _, v, _ in pts if v != v)
            inf = sum(1 for _, v, _ in pts if v in (math.inf, -math.inf))
            out[key] = {
                'points': len(pts),
                'first': [num(pts[0][0]), num(pts[0][1])],
                'last': [num(pts[-1][0]), num(pts[-1][1])],
                'nan': nan,
                'inf': inf,
            }
        return out


def num(v):
    v = float(v)
    if v != v:
        return 'NaN'
    if v == math.inf:
        return 'Infinity'
    if v == -math.inf:
        return '-Infinity'
    if v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def is_wall_clock(values):
    """A time-named column / field is a wall clock when its first value is a Unix time after 2000-01-01
    (seconds or ms) or a date text; elapsed or per-iteration seconds (YOLO, detectron2) are a metric."""
    for v in values:
        if v is None or v == '':
            continue
        x = v if isinstance(v, (int, float)) and not isinstance(v, bool) else cell_number(str(v))
        return x is None or x >= UNIX_2000
    return True


def cell_number(s):
    """A CSV / text cell as a float, or None if it is not a number."""
    t = s.strip()
    low = t.lower()
    if low in ('nan', '-nan', '+nan'):
        return math.nan
    if low in ('inf', '+inf', 'infinity', '+infinity'):
        return math.inf
    if low in ('-inf', '-infinity'):
        return -math.inf
    if re.fullmatch(r'[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?', t):
        return float(t)
    return None


# ---------------------------------------------------------------- csv (pandas)
def read_csv(path, acc):
    sep = '\t' if path.endswith('.tsv') else ','
    df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True, engine='python')
    cols = [c.strip() for c in df.columns]
    kinds = []
    for c in cols:
        k = c.lower()
        kinds.append('step' if k in STEP_KEYS else 'epoch' if k in EPOCH_KEYS else 'time' if k in TIME_KEYS else 'metric')
    rows = [[str(x).strip() for x in raw] for raw in df.itertuples(index=False)]
    for i, k in enumerate(kinds):
        if k == 'time' and not is_wall_clock(r[i] for r in rows):
            kinds[i] = 'metric'  # YOLO's elapsed seconds: a series
    si = kinds.index('step') if 'step' in kinds else -1
    ei = kinds.index('epoch') if 'epoch' in kinds else -1
    row_index = 0
    for cells in rows:
        if all(c == '' for c in cells):
            continue  # a blank line (\r\r\n endings)
        if cells == cols:
            continue  # repeated header
        step = cell_number(cells[si]) if si >= 0 and cells[si] != '' else None
        if step is None and ei >= 0 and cells[ei] != '':
            step = cell_number(cells[ei])
        if step is None:
            step = row_index
        row_index += 1
        epoch = cell_number(cells[ei]) if si >= 0 and ei >= 0 and cells[ei] != '' else None
        for c, k, v in zip(cols, kinds, cells):
            if k != 'metric' or v == '':
                continue
            x = cell_number(v)
            if x is not None:
                acc.add(c, step, x, epoch)


# ---------------------------------------------------------------- hf trainer_state.json
def read_hf(path, acc):
    with open(path, encoding='utf-8') as f:
        state = json.load(f)
    for e in state.get('log_history', []):
        if not isinstance(e, dict) or 'train_runtime' in e:
            continue
        step = e.get('step')
        if not isinstance(step, (int, float)) or isinstance(step, bool):
            continue
        for k, v in e.items():
            if k in ('step', 'epoch') or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            acc.add(k, step, float(v), e.get('epoch') if isinstance(e.get('epoch'), (int, float)) else None)


# ---------------------------------------------------------------- jsonl
def flatten(obj, prefix, out):
    for k, v in obj.items():
        key = f'{prefix}{k}'
        if isinstance(v, dict):
            flatten(v, key + '/', out)
        else:
            out[key] = v


def read_jsonl(path, acc):
    index = 0
    clock = {}  # time-named key -> whether it is a wall clock (decided on its first value)
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            t = line.strip()
            if not t:
                continue
            try:
                obj = json.loads(t)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            flat = {}
            flatten(obj, '', flat)
            step = None
            split = None
            epoch = None
            for k, v in flat.items():
                kl = k.lower()
                numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
                if kl in STEP_KEYS and numeric:
                    step = v
                if kl in EPOCH_KEYS and numeric:
                    epoch = v
                if kl in SPLIT_KEYS and isinstance(v, str):
                    split = v
                if kl in TIME_KEYS and k not in clock and v is not None:
                    clock[k] = is_wall_clock([v])
            if step is None:
                step = index
            index += 1
            for k, v in flat.items():
                kl = k.lower()
                if kl in STEP_KEYS or kl in EPOCH_KEYS or kl in SPLIT_KEYS or (kl in TIME_KEYS and clock.get(k, True)):
                    continue
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    continue
                key = k
                if split is not None and not kl.split('/')[0].startswith(SPLIT_WORDS):
                    key = f'{split}/{k}'
                acc.add(key, step, float(v), epoch)


# ---------------------------------------------------------------- tfevents (TFRecord + protobuf, from the specs)
def varint(b, i):
    r = 0
    shift = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << shift
        if c < 0x80:
            return r, i
        shift += 7


def fields(b):
    """Protobuf wire format: yields (field number, wire type, value) for a message."""
    i = 0
    n = len(b)
    while i < n:
        tag, i = varint(b, i)
        fn, wt = tag >> 3, tag & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 2:
            ln, i = varint(b, i)
            v = b[i:i + ln]
            i += ln
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError(f'wire type {wt}')
        yield fn, wt, v


def tensor_scalar(b):
    """TensorProto: dtype=1, tensor_shape=2, tensor_content=4, float_val=5, double_val=6. Rank-0 float/double only."""
    dtype = 0
    rank = 0
    content = None
    fv = []
    dv = []
    for fn, wt, v in fields(b):
        if fn == 1:
            dtype = v
        elif fn == 2:
            rank = sum(1 for f, _, _ in fields(v) if f == 2)  # TensorShapeProto.dim
        elif fn == 4:
            content = v
        elif fn == 5:
            fv += list(struct.unpack(f'<{len(v) // 4}f', v)) if wt == 2 else [struct.unpack('<f', v)[0]]
        elif fn == 6:
            dv += list(struct.unpack(f'<{len(v) // 8}d', v)) if wt == 2 else [struct.unpack('<d', v)[0]]
    if rank != 0 or dtype not in (1, 2):
        return None
    if content:
        return struct.unpack('<f', content[:4])[0] if dtype == 1 else struct.unpack('<d', content[:8])[0]
    if dtype == 1 and fv:
        return fv[0]
    if dtype == 2 and dv:
        return dv[0]
    return None


def read_tfevents(path, acc):
    prefix = ''
    parent = os.path.basename(os.path.dirname(path))
    if parent in ('train', 'validation'):
        prefix = parent + '/'
    with open(path, 'rb') as f:
        data = f.read()
    i = 0
    while i + 12 <= len(data):
        (length,) = struct.unpack('<Q', data[i:i + 8])
        if i + 12 + length + 4 > len(data):
            break  # truncated last record
        rec = data[i + 12:i + 12 + length]
        i += 12 + length + 4
        step = 0
        summary = None
        for fn, wt, v in fields(rec):  # Event: wall_time=1, step=2, summary=5
            if fn == 2:
                step = v - (1 << 64) if v >= 1 << 63 else v
            elif fn == 5:
                summary = v
        if summary is None:
            continue
        for fn, wt, v in fields(summary):  # Summary.value = 1
            if fn != 1:
                continue
            tag = None
            value = None
            for f2, w2, v2 in fields(v):  # Value: tag=1, simple_value=2, tensor=8
                if f2 == 1:
                    tag = v2.decode('utf-8', 'replace')
                elif f2 == 2:
                    value = struct.unpack('<f', v2)[0]
                elif f2 == 8 and value is None:
                    value = tensor_scalar(v2)
            if tag is not None and value is not None:
                acc.add(prefix + tag, step, value)


# ---------------------------------------------------------------- mlflow
def read_mlflow(path, key, acc):
    with open(path, encoding='utf-8') as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            v = cell_number(parts[1])
            if v is None:
                continue
            step = float(parts[2]) if len(parts) > 2 else 0
            acc.add(key, step, v)


# ---------------------------------------------------------------- text (console logs)
METRIC_NAME = re.compile(r'(loss|acc|accuracy|^lr$|learning_rate|grad_norm|ppl|perplexity|f1|l1|mae|mse)', re.I)
NUM = r'[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf'
NANOGPT_ITER = re.compile(r'^iter (\d+): loss (' + NUM + r'),')
NANOGPT_EVAL = re.compile(r'^step (\d+): train loss (' + NUM + r'), val loss (' + NUM + r')')
MODDED = re.compile(r'^step:(\d+)/\d+ (.*)$')
KERAS_EPOCH = re.compile(r'^\s*Epoch (\d+)/(\d+)\s*$')
KERAS_DONE = re.compile(r'^\s*(\d+)/(\d+) (?:\[[=>.]*\]|[━─]+)\s')
KERAS_PAIR = re.compile(r'(?:^|\s)-\s+([A-Za-z][\w./-]*):\s+(' + NUM + r')(?![\w.])')
FAIRSEQ = re.compile(r'\| (train|valid) \| epoch (\d+) \|(.*)$')
EPOCH_LINE = re.compile(r'\b[Ee]poch\s*[=:]?\s*\[?\s*(\d+)\s*(?:/\s*\d+\s*)?\]?\s*[,:]?\s*(.*)$')
SPLIT_PAIR = re.compile(r'(?<![\w.])(' + '|'.join(SPLIT_WORDS) + r') ([A-Za-z_]+) (' + NUM + r')(?![\w.%])')
NAMED = re.compile(r'([A-Za-z][A-Za-z0-9 _-]*?)\s*[:=]\s*(' + NUM + r')%?(?![\w.])')


def text_key(name):
    """`Train Loss` -> `Train/Loss`, `Train L1 Loss` -> `Train/L1 Loss`, `TrainLoss` and `val_acc` as printed."""
    words = name.split()
    if len(words) > 1 and words[0].lower() in SPLIT_WORDS:
        return words[0] + '/' + ' '.join(words[1:])
    return ' '.join(words)


def read_text(path, acc):
    epoch = None
    with open(path, encoding='utf-8', errors='replace', newline='') as f:
        text = f.read()
    for line in re.split(r'\r\n|\n', text):
        if '\r' in line:
            line = line[line.rfind('\r') + 1:]
        m = NANOGPT_ITER.match(line)
        if m:
            acc.add('loss', int(m.group(1)), cell_number(m.group(2)))
            continue
        m = NANOGPT_EVAL.match(line)
        if m:
            acc.add('train/loss', int(m.group(1)), cell_number(m.group(2)))
            acc.add('val/loss', int(m.group(1)), cell_number(m.group(3)))
            continue
        m = MODDED.match(line)
        if m:
            for k, v in re.findall(r'([A-Za-z_]+):(' + NUM + r')(?![\w.])', m.group(2)):
                if METRIC_NAME.search(k):
                    acc.add(k, int(m.group(1)), cell_number(v))
            continue
        m = FAIRSEQ.search(line)
        if m:
            split = m.group(1)
            for k, v in re.findall(r'\| (\w+) (' + NUM + r')(?=\s|$)', m.group(3) + ' '):
                if METRIC_NAME.search(k):
                    acc.add(f'{split}/{k}', int(m.group(2)), cell_number(v))
            continue
        m = KERAS_EPOCH.match(line)
        if m:
            epoch = int(m.group(1))
            continue
        m = EPOCH_LINE.search(line)
        if m:
            for k, v in NAMED.findall(m.group(2)):
                key = text_key(k)
                if METRIC_NAME.search(key):
                    acc.add(key, int(m.group(1)), cell_number(v))
            for sp, k, v in SPLIT_PAIR.findall(m.group(2)):
                if METRIC_NAME.search(k):
                    acc.add(f'{sp}/{k}', int(m.group(1)), cell_number(v))
            continue
        m = KERAS_DONE.match(line)
        if m and m.group(1) == m.group(2) and 'ETA' not in line and epoch is not None:
            for k, v in KERAS_PAIR.findall(line):
                if METRIC_NAME.search(k):
                    acc.add(k, epoch, cell_number(v))


def read_console(path, acc):
    """The points scripts/console_expected.py reads from a console log (the same line split as its main())."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('console_expected', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'console_expected.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    r = mod.Reader()
    with open(path, 'rb') as f:
        data = f.read()
    if data.startswith(b'\xef\xbb\xbf'):
        data = data[3:]
    lines = data.decode('utf-8', errors='replace').split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    for i, raw in enumerate(lines):
        r.line(raw[:-1] if raw.endswith('\r') else raw, i + 1)
    order = sorted((line, k, step, value) for k, pts in r.points.items() for step, value, line in pts)
    for _, k, step, value in order:
        acc.add(k, step, value)


# ---------------------------------------------------------------- detection
def detect(rel, path):
    name = os.path.basename(path)
    parts = rel.split('/')
    if name in NOT_LOGS or name.startswith('.'):
        return None
    if 'mlruns' in parts:
        k = parts.index('mlruns')
        if len(parts) > k + 4 and parts[k + 3] == 'metrics':
            return 'mlflow'
        return None  # meta.yaml, tags/, params/ belong to the run but are not logs
    if name.startswith('events.out.tfevents.'):
        return 'tfevents'
    with open(path, 'rb') as f:
        head = f.read(4096)
    if name == 'trainer_state.json' or (name.endswith('.json') and b'"log_history"' in head):
        return 'hf'
    if name.endswith('.json'):
        try:
            with open(path, encoding='utf-8') as f:
                json.load(f)
            return None  # one JSON document (a config, an expected-values sidecar): not a log
        except ValueError:
            return 'jsonl'  # JSON lines named .json (detectron2 metrics.json, mmdet *.log.json)
    if name.endswith(('.csv', '.tsv')):
        return 'csv'
    first = head.lstrip(b'\xef\xbb\xbf').split(b'\n', 1)[0].strip()
    if name.endswith(('.jsonl', '.ndjson')) or first.startswith(b'{'):
        return 'jsonl'
    if re.match(rb'^epoch[,;\t]', first):
        return 'csv'  # Keras CSVLogger('training.log')
    if name.endswith(('.log', '.txt', '.out')):
        return 'text'
    return None


def mlflow_key(rel):
    parts = rel.split('/')
    k = parts.index('mlruns')
    return '/'.join(parts[k + 4:])


def build(root=ROOT, note='generated by scripts/corpus_expected.py; do not edit by hand'):
    files = {}
    for case in sorted(os.listdir(root)):
        cdir = os.path.join(root, case)
        if not os.path.isdir(cdir):
            continue
        for dirpath, dirnames, filenames in os.walk(cdir):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root).replace(os.sep, '/')
                fmt = detect(rel, path)
                if fmt is None:
                    continue
                acc = Acc()
                if fmt == 'csv':
                    read_csv(path, acc)
                elif fmt == 'hf':
                    read_hf(path, acc)
                elif fmt == 'jsonl':
                    read_jsonl(path, acc)
                elif fmt == 'tfevents':
                    read_tfevents(path, acc)
                elif fmt == 'mlflow':
                    read_mlflow(path, mlflow_key(rel), acc)
                elif rel.split('/')[0] == CONSOLE:
                    read_console(path, acc)
                else:
                    read_text(path, acc)
                files[rel] = {'format': fmt, 'binary': fmt == 'tfevents', 'bytes': os.path.getsize(path), 'series': acc.series}
    return {'note': note, 'files': files}


def main():
    args = sys.argv[1:]
    if '--shared' in args:
        rest = [a for a in args if not a.startswith('--')]
        root = os.path.abspath(rest[0]) if rest else SHARED
        if not os.path.isdir(root):
            print(f'{root} is not a folder (the shared corpus is beside the clone: ../shared/corpus)')
            sys.exit(2)
        out_path, flag = SHARED_OUT, '--shared'
        built = build(root, 'generated by scripts/corpus_expected.py --shared from ../shared/corpus (paths relative to it); do not edit by hand')
    else:
        out_path, flag = OUT, ''
        built = build()
    out = json.dumps(built, indent=1, sort_keys=True, allow_nan=False) + '\n'
    name = os.path.basename(out_path)
    if '--check' in args:
        with open(out_path, encoding='utf-8') as f:
            same = f.read() == out
        print(f'{name} is up to date' if same else f'{name} is stale: run scripts/corpus_expected.py {flag}'.rstrip())
        sys.exit(0 if same else 1)
    with open(out_path, 'w', encoding='utf-8') as f:
        f.write(out)
    d = json.loads(out)['files']
    print(f'{len(d)} files, {sum(len(v["series"]) for v in d.values())} series -> {os.path.relpath(out_path)}')


if __name__ == '__main__':
    main()
