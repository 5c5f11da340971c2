#!/usr/bin/env python3
"""Overhead of python/losswatch_log.py on a PyTorch training step (CPU).

    /usr/bin/python3 bench/python_overhead.py [--blocks 30] [--block-ms 25]

For each model it times the same training loop (forward, cross_entropy, backward, SGD step, and the
`loss.item()` that any loop printing its loss already does) without the logger, with the logger at the
default cadence (a scalar line every step + the logits of 8 rows every 50 steps), and with logits every
step (worst case). Configurations run in interleaved blocks (so load from other processes hits all of
them alike) and are timed in process CPU time (torch uses 1 thread), so time spent waiting for a
shared core is not counted; prints the 20th-percentile ms/step over blocks and the overhead in percent.
"""

import argparse
import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # one compute thread, so process CPU time = the step's work
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from losswatch_log import LossWatchLogger  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MODELS = {
    # name: (layer sizes, batch)
    "example MLP 16-64-10, batch 64": ([16, 64, 10], 64),
    "MLP 128-256-256-10, batch 128": ([128, 256, 256, 10], 128),
    "MLP 784-512-512-10, batch 128": ([784, 512, 512, 10], 128),
}


def make(sizes, batch, seed=0):
    torch.manual_seed(seed)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xs = torch.randn(8, batch, sizes[0])
    ys = torch.randint(0, sizes[-1], (8, batch))
    return model, opt, xs, ys


class Loop:
    """The training loop, resumable in blocks so configurations can be interleaved finely."""

    def __init__(self, sizes, batch):
        self.model, self.opt, self.xs, self.ys = make(sizes, batch)
        self.step = 0

    def block(self, steps, logger):
        model, opt, xs, ys = self.model, self.opt, self.xs, self.ys
        ce = lambda z, y: F.cross_entropy(z, y)  # noqa: E731
        t0 = time.process_time()  # CPU time of this process: waiting for a shared core does not count
        for _ in range(steps):
            step = self.step
            self.step += 1
            x, y = xs[step % 8], ys[step % 8]
            z = model(x)
            loss = F.cross_entropy(z, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            lv = loss.item()
            if logger is not None:
                logger.log(step, loss=lv, lr=0.01, epoch=0)
                if logger.should_log_logits(step):
                    with torch.no_grad():
                        logger.log_logits(step, z, y, loss=ce, rows=8)
        return (time.process_time() - t0) / steps * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=30, help="interleaved blocks per configuration")
    ap.add_argument("--block-ms", type=float, default=25.0, help="approximate length of one block")
    a = ap.parse_args()
    torch.set_num_threads(1)
    tmp = tempfile.mkdtemp(prefix="lw_overhead")
    print("losswatch_log overhead, torch %s, 1 thread; CPU ms/step = 20th percentile over %d interleaved blocks per configuration"
          % (torch.__version__, a.blocks))
    print("%-34s %12s %14s %9s %8s %14s %9s" % ("model", "bare ms/step", "default k=50", "overhead", "us/step", "logits k=1", "overhead"))
    for name, (sizes, batch) in MODELS.items():
        loop = Loop(sizes, batch)
        per = loop.block(20, None)  # warm-up and calibration
        steps = max(50, int(round(a.block_ms / max(per, 1e-3) / 50.0)) * 50)  # a multiple of k=50
        loggers = {
            "bare": None,
            "k50": LossWatchLogger(os.path.join(tmp, "k50.jsonl"), every=50),
            "k1": LossWatchLogger(os.path.join(tmp, "k1.jsonl"), every=1),
        }
        times = {k: [] for k in loggers}
        for _ in range(a.blocks):
            for k, lw in loggers.items():
                loop.step = 0  # every block logs logits at its step 0, 50, … (same count per block)
                times[k].append(loop.block(steps, lw))
        for lw in loggers.values():
            if lw is not None:
                lw.close()
        # 20th percentile of the blocks: robust to load spikes from other processes on a shared machine
        med = {k: sorted(v)[len(v) // 5] for k, v in times.items()}
        pct = lambda k: 100.0 * (med[k] - med["bare"]) / med["bare"]  # noqa: E731
        print(
            "%-34s %12.3f %14.3f %8.1f%% %8.1f %14.3f %8.1f%%"
            % (name, med["bare"], med["k50"], pct("k50"), 1e3 * (med["k50"] - med["bare"]), med["k1"], pct("k1"))
        )
    # per-call cost of the logger alone
    with LossWatchLogger(os.path.join(tmp, "calls.jsonl")) as lw:
        n = 5000
        t0 = time.perf_counter()
        for i in range(n):
            lw.log(i, loss=0.5, grad_norm=1.0, lr=0.01, epoch=0)
        scalar_us = (time.perf_counter() - t0) / n * 1e6
        z, y = torch.randn(64, 10), torch.randint(0, 10, (64,))
        t0 = time.perf_counter()
        for i in range(500):
            lw.log_logits(i, z, y, loss=lambda p, q: F.cross_entropy(p, q), rows=8)
        logits_us = (time.perf_counter() - t0) / 500 * 1e6
    print("logger alone: scalar line %.1f us/call, logits record (8 rows x 10) %.1f us/call" % (scalar_us, logits_us))


if __name__ == "__main__":
    main()
