#!/usr/bin/env python3
"""Expected series for the real console logs in test/fixtures/real/console (see PROVENANCE.md).

An independent reference reader of the console shapes LossWatch recognises (docs/formats.md, `text`):
plain regular expressions per line and `ast.literal_eval`/`json.loads` for dicts; it shares no code with
the TypeScript parser. Writes test/fixtures/real/console/expected.json, which the unit test compares
against; CI needs no Python (re-run this script by hand after changing a fixture or the documented rules).

    python3 scripts/console_expected.py
"""
import ast
import json
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "test" / "fixtures" / "real" / "console"

NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:infinity|inf|nan)"
# a number standing alone: not glued to letters/units/more digits ("12ms", "3.2%", "1.2.3", "12:30")
ALONE = r"(?![\w%]|[.:/-][A-Za-z0-9])"
START = r"(?<![\w.])"
METRIC = re.compile(
    r"(loss|acc|accuracy|^lr$|_lr$|learning_rate|grad|norm|ppl|perplexity|f1|^l1$|^l2$|precision|recall|auc|^map|iou|bleu"
    r"|rouge|err|mse|mae|rmse|top1|top5|top-1|top-5|score|wer|cer|dice)",
    re.I,
)
MAX_LABEL_WORDS = 6
LABEL_STOP = {"with", "at", "on", "of", "for", "and", "to", "from", "in", "by", "the", "a", "an", "is", "was", "are", "were"}
STEP_WORDS = {"step", "steps", "iter", "iteration", "it", "global_step", "num_updates"}
SPLITS = {"train", "training", "val", "valid", "validation", "eval", "test", "dev"}
UNITS = {"batches", "batch", "steps", "iters", "iterations"}
NANO = {"train": "train/loss", "val": "val/loss", "valid": "valid/loss", "test": "test/loss", "hella": "hella/acc_norm"}
WORD = r"[A-Za-z_][A-Za-z0-9_]*(?:[./-][A-Za-z0-9_]+)*"

ANSI = re.compile(r"\x1b\[[\x20-\x3f]*[\x40-\x7e]|\x1b|\x08")


def num(s):
    return float(s)


class Reader:
    def __init__(self):
        self.points = {}  # key -> [[step, value, line]]
        self.meta = {}
        self.keras_epoch = None
        self.keras_count = 0
        self.keras_keys = set()
        self.hf_train = 0
        self.hf_eval = 0
        self.last_bar = None
        self.bar_keys = set()
        self.bar_epoch_level = {}
        self.batch_total = None
        self.header_epoch = None
        self.header_keys = set()

    def emit(self, key, step, value, line):
        self.points.setdefault(key, []).append([step, value, line])

    def line(self, raw, no):
        text = raw.split("\r")[-1]
        text = ANSI.sub("", text)
        if not text.strip():
            return
        for f in (self.dict_line, self.keras, self.bar, self.nano, self.generic):
            if f(text, no):
                return

    # {'loss': 3.4, 'learning_rate': 4.9e-05, 'epoch': 0.1} / fairseq {"epoch": 1, "loss": "9.5", "num_updates": "100"}
    def dict_line(self, text, no):
        t = text.rstrip()
        if not t.endswith("}") or "{" not in t:
            return False
        body = t[t.index("{"):]
        try:
            d = ast.literal_eval(body)
        except Exception:
            try:
                d = json.loads(body)
            except Exception:
                return False
        if not isinstance(d, dict) or any(isinstance(v, (dict, list, tuple, set)) for v in d.values()):
            return False
        vals = []
        for k, v in d.items():
            if not isinstance(k, str):
                return False
            if isinstance(v, bool) or v is None:
                continue
            if isinstance(v, (int, float)):
                vals.append((k, float(v)))
            elif isinstance(v, str) and re.fullmatch(NUM, v.strip(), re.I):
                vals.append((k, num(v.strip())))
        if not any("loss" in k.lower() or k.lower().startswith("eval_") or k.lower() == "train_runtime" for k, _ in vals):
            return False
        lk = {k.lower(): v for k, v in vals}
        if "train_runtime" in lk:
            for k, v in vals:
                self.meta[k] = v
            return True
        step = None
        for k, v in vals:
            if k.lower() in ("step", "global_step", "num_updates", "iter", "iteration") or k.lower().endswith("_num_updates"):
                step = v
                break
        if step is None:
            if any(k.lower().startswith("eval_") for k, _ in vals):
                if self.hf_train > 0:
                    step = self.hf_train
                else:
                    self.hf_eval += 1
                    step = self.hf_eval
            else:
                self.hf_train += 1
                step = self.hf_train
        for k, v in vals:
            l = k.lower()
            if l in ("epoch", "step", "global_step", "num_updates", "iter", "iteration", "update") or l.endswith("_num_updates"):
                continue
            self.emit(k, step, v, no)
        return True

    # Keras: "Epoch 3/10" then "1875/1875 [====] - 5s 3ms/step - loss: 0.29 - accuracy: 0.91"
    def keras(self, text, no):
        m = re.fullmatch(r"\s*epoch\s+(\d+)\s*/\s*(\d+)\s*", text, re.I)
        if m:
            self.keras_epoch = int(m.group(1))
            self.keras_keys = set()
            self.header_epoch = self.keras_epoch
            self.header_keys = set()
            return True
        m = re.match(r"\s*(\d+) */ *(\d+)\s*(\[[^\]]*\]|[^\x00-\x7f]+|-(?=\s))", text)
        if not m:
            return False
        rest = text[m.end():]
        if re.search(r"(?<![\w./-])ETA(?![\w])", rest) or m.group(1) != m.group(2):
            return True
        pts = []
        for p in re.finditer(r"(?<![\w./-])-\s*(" + WORD + r")\s*:\s*(" + NUM + ")" + ALONE, rest, re.I):
            if p.group(1) not in self.keras_keys:
                pts.append((p.group(1), num(p.group(2))))
        if not pts:
            return True
        if self.keras_epoch is not None:
            step = self.keras_epoch
            if int(m.group(2)) > 0:
                self.meta["steps_per_epoch"] = int(m.group(2))  # the run says how many steps an epoch has
        else:
            self.keras_count += 1
            step = self.keras_count
        for k, v in pts:
            if self.keras_epoch is not None:
                self.keras_keys.add(k)
                self.header_keys.add(k)
            self.emit(k, step, v, no)
        return True

    # tqdm / Lightning: "Epoch 3:  45%|████▌     | 450/1000 [00:10<00:12, 43.2it/s, loss=0.123, v_num=0]"
    def bar(self, text, no):
        m = re.search(r"\d+(?:\.\d+)?%\|[^|]*\|\s*(\d+) */ *(\d+)\s*\[([^\]]*)\]", text)
        if m:
            counter, total = int(m.group(1)), int(m.group(2))
        else:  # unknown total: "450it [00:10, 43.2it/s, loss=0.1]"
            m = re.search(r"(?<![\w.%:/-])(\d+)it(?=\s)\s*()\[([^\]]*)\]", text)
            if not m:
                return False
            counter, total = int(m.group(1)), None
        desc = text[: m.start()]
        e = re.search(r"(?<![\w./-])epoch(?![\w])\s*:?\s*(\d+)(?: */ *\d+)?" + ALONE, desc, re.I)
        epoch = int(e.group(1)) if e else None
        pts = [
            (p.group(1), num(p.group(2)))
            for p in re.finditer(r"(?<![\w./-])(" + WORD + r")\s*=\s*(" + NUM + ")" + ALONE, m.group(3), re.I)
            if p.group(1) != "v_num"
        ]
        if not pts:
            return True
        step = epoch * total + counter if epoch is not None and total is not None else counter
        if step != self.last_bar:
            self.last_bar = step
            self.bar_keys = set()
        if epoch is not None and total is not None:
            self.batch_total = total
        for k, v in pts:
            if k in self.bar_keys:  # the same counter redrawn: only metrics new at this step
                continue
            self.bar_keys.add(k)
            if re.match(r"(val|valid|validation|eval|test)[_/.-]|.*_epoch$", k, re.I):
                last = self.bar_epoch_level.get(k)
                if last is not None and (last == v or (math.isnan(last) and math.isnan(v))):
                    continue  # an epoch-level value repeated on every update
                self.bar_epoch_level[k] = v
            self.emit(k, step, v, no)
        return True

    # build-nanogpt log.txt: "250 val 6.5893"
    def nano(self, text, no):
        m = re.fullmatch(r"\s*(\d+)\s+(train|val|valid|test|hella)\s+(" + NUM + r")\s*", text)
        if not m:
            return False
        self.emit(NANO[m.group(2)], int(m.group(1)), num(m.group(3)), no)
        return True

    # "iter 100: loss 2.3456, time 12.34ms", "step 250: train loss 1.9, val loss 2.0", "| epoch 001 | … | num_updates 100"
    def generic(self, text, no):
        step = epoch = counter = total = None
        epoch_literal = False
        taken = []  # spans consumed by anchors / counters

        def free(a, z):
            return all(z <= x or a >= y for x, y in taken)

        for m in re.finditer(r"(?<![\w./-])(\d+) */ *(\d+)" + ALONE + r"\s+(" + WORD + ")", text):
            if m.group(3).lower() in UNITS:
                if counter is None:
                    counter, total = int(m.group(1)), int(m.group(2))
                taken.append((m.start(), m.end(2)))
        anchor = re.compile(
            r"(?<![\w./-])(" + WORD + r")\s*[:=#\[]?\s*(?:(\d+) */ *(\d+)|(" + NUM + "))" + ALONE, re.I
        )
        pos = 0
        while True:
            m = anchor.search(text, pos)
            if not m:
                break
            w = m.group(1).lower()
            if (w in STEP_WORDS or w == "epoch") and free(m.start(), m.end()):
                v = float(m.group(2)) if m.group(2) is not None else num(m.group(4))
                if m.group(4) is not None and m.group(4)[0] in "+-":
                    v = -1.0
                if v >= 0 and math.isfinite(v) and v == int(v):
                    taken.append((m.start(), m.end()))
                    if w in STEP_WORDS:
                        if step is None:
                            step = v
                    elif epoch is None:
                        epoch = v
                        epoch_literal = m.group(2) is not None or re.fullmatch(r"\d+", m.group(4)) is not None
                        c = re.match(r"\s*[:|]?\s*(\d+) */ *(\d+)" + ALONE, text[m.end():])
                        if c and counter is None:
                            counter, total = int(c.group(1)), int(c.group(2))
                            taken.append((m.end(), m.end() + c.end()))
                    pos = m.end()
                    continue
            pos = m.start(1) + len(m.group(1))
        under = step is None and epoch is None  # maybe a metric line under an epoch header
        if under and self.header_epoch is None:
            return False
        prefix = ""
        p = re.search(r"\|\s*(" + "|".join(SPLITS) + r")\s*\||(?<![\w./-])(" + "|".join(SPLITS) + r")\s+on(?![\w])", text, re.I)
        if p:
            prefix = (p.group(1) or p.group(2)) + "/"
            taken.append(p.span(1) if p.group(1) else p.span(2))
        pts = []
        seen = set()
        # name, then a value; a labelled value (`name: v`, `name=v`) may carry a percent sign, as printed
        pair = re.compile(
            r"(?<![\w./-])(" + WORD + r")(?:\s*([:=])\s*(" + NUM + r")(%?)|\s*(" + NUM + r"))" + ALONE, re.I
        )
        pos = 0
        after = 0  # a multi-word label starts after the previous pair's value
        while True:
            m = pair.search(text, pos)
            if not m:
                break
            name = m.group(1)
            vspan = m.span(3) if m.group(3) is not None else m.span(5)
            value = m.group(3) if m.group(3) is not None else m.group(5)
            if not free(m.start(1), m.end(1)) or name.lower() in STEP_WORDS or name.lower() == "epoch" or not free(*vspan):
                pos = m.start(1) + len(name)
                continue
            # "Train L1 Loss: 0.63", "Accuracy on Test set: 31.03%": the words before the name, back to the
            # previous value, a punctuation mark or an anchor (6 words at most), without leading function words
            words = [name]
            if m.group(2) == ":":
                end = m.start(1)
                while len(words) < MAX_LABEL_WORDS:
                    b = re.search(r"(?<![\w./-])(" + WORD + r")\s+$", text[after:end])
                    if not b or not free(after + b.start(1), after + b.end(1)):
                        break
                    words.insert(0, b.group(1))
                    end = after + b.start(1)
                while len(words) > 1 and words[0].lower() in LABEL_STOP:
                    words.pop(0)
            if len(words) > 1:
                if not METRIC.search(" ".join(words)) and not any(METRIC.search(w) for w in words):
                    pos = m.start(1) + len(name)
                    continue
                key = words[0] + "/" + " ".join(words[1:]) if words[0].lower() in SPLITS else " ".join(words)
            else:
                if not METRIC.search(name):
                    pos = m.start(1) + len(name)
                    continue
                key = name
                before = re.search(r"(?<![\w./-])(" + WORD + r")\s+$", text[: m.start(1)])
                if before and before.group(1).lower() in SPLITS and free(before.start(1), before.end(1)):
                    key = before.group(1) + "/" + name
                elif prefix and not name.lower().startswith(prefix[:-1].lower() + "_"):
                    key = prefix + name
            if key not in seen:
                seen.add(key)
                pts.append((key, num(value)))
            pos = m.end()
            after = m.end()
        if under:
            return self.header_line(pts, no)
        if not pts:
            if step is None and epoch_literal:  # "Epoch [3/40]" alone: an epoch header (not "epoch = 30.0")
                self.header_epoch = epoch
                self.header_keys = set()
            return False
        if step is not None:
            x = step
        elif counter is not None:
            x = epoch * total + counter if epoch is not None else counter
            self.batch_total = total
        elif self.batch_total is not None:
            x = epoch * self.batch_total + self.batch_total
        else:
            x = epoch
        for k, v in pts:
            self.emit(k, x, v, no)
        return True

    def header_line(self, pts, no):
        if not any("/" in k or re.match(r"(train|training|val|valid|validation|eval|test|dev)[_-]", k, re.I) for k, _ in pts):
            return False
        fresh = [(k, v) for k, v in pts if k not in self.header_keys]
        if not fresh:
            return False
        e = self.header_epoch
        x = e * self.batch_total + self.batch_total if self.batch_total is not None else e
        for k, v in fresh:
            self.header_keys.add(k)
            self.emit(k, x, v, no)
        return True


def finite(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def main():
    out = {}
    for f in sorted(DIR.iterdir()):
        if f.name in ("expected.json", "PROVENANCE.md"):
            continue
        r = Reader()
        data = f.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        lines = data.decode("utf-8", errors="replace").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for i, raw in enumerate(lines):
            r.line(raw[:-1] if raw.endswith("\r") else raw, i + 1)
        out[f.name] = {
            "series": {k: [[finite(a), finite(b), c] for a, b, c in v] for k, v in r.points.items()},
            "meta": {k: finite(v) for k, v in r.meta.items()},
        }
    (DIR / "expected.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    for name, v in out.items():
        print(f"{name}: {sum(len(p) for p in v['series'].values())} points in {len(v['series'])} series, {len(v['meta'])} meta")


if __name__ == "__main__":
    main()
