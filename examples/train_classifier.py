#!/usr/bin/env python3
"""A real PyTorch classifier that logs for LossWatch, with flags that reproduce classic loss bugs.

    /usr/bin/python3 examples/train_classifier.py --out runs/healthy
    /usr/bin/python3 examples/train_classifier.py --out runs/nan --lr 50
    /usr/bin/python3 examples/train_classifier.py --out runs/demo --live        # ~90 s, paced for a demo

Data: Gaussian blobs, 10 classes in 16 dimensions (synthetic, generated from --seed).
Model: a small MLP (16 -> 64 -> 10), SGD with momentum, CPU, a few seconds without --live.
Writes <out>/log.jsonl (scalars every step, validation every --val-every steps, logits + labels +
the loss PyTorch computed for the first --rows rows every --log-every steps) and <out>/batches/*.npy
(the final validation batch, as a sidecar).

Bug flags (one at a time):
  --lr 50                       learning rate far too high: the loss becomes inf / NaN
  --double-softmax              the model ends in softmax and cross_entropy is applied on top of it
  --one-based-labels            labels 1..C, "fixed" by giving the model C+1 outputs (class 0 never used)
  --label-equal-to-c            a few samples carry label C (e.g. an "unknown" id): the loss call raises
                                on the first batch that holds one; the batch is logged, then exit 1
  --one-hot-with-index-loss     one-hot labels fed to a hand-written index loss (NLL via gather)
  --tiny-train                  64 training samples and a wider model: overfits (val loss rises)
  --multi-label-with-softmax    multi-hot labels with softmax cross-entropy (probability targets)
"""

import argparse
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

from losswatch_log import LossWatchLogger  # noqa: E402

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    sys.stderr.write(
        "train_classifier.py needs PyTorch (try /usr/bin/python3, or pip install torch).\n"
    )
    sys.exit(3)

C = 10  # classes
D = 16  # input dimensions


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output folder (log.jsonl and batches/ go there)")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--hidden", type=int, default=None, help="hidden width (default 64; 256 with --tiny-train)")
    p.add_argument("--log-every", type=int, default=20, help="log logits every k steps")
    p.add_argument("--rows", type=int, default=8, help="rows of the batch logged with logits")
    p.add_argument("--val-every", type=int, default=10)
    p.add_argument("--live", action="store_true", help="pace the run (~--live-seconds) for a live demo")
    p.add_argument("--live-seconds", type=float, default=90.0)
    p.add_argument("--double-softmax", action="store_true")
    p.add_argument("--one-based-labels", action="store_true")
    p.add_argument("--label-equal-to-c", action="store_true")
    p.add_argument("--one-hot-with-index-loss", action="store_true")
    p.add_argument("--tiny-train", action="store_true")
    p.add_argument("--multi-label-with-softmax", action="store_true")
    a = p.parse_args(argv)
    bugs = [
        a.double_softmax,
        a.one_based_labels,
        a.label_equal_to_c,
        a.one_hot_with_index_loss,
        a.tiny_train,
        a.multi_label_with_softmax,
    ]
    if sum(bool(b) for b in bugs) > 1:
        p.error("use at most one bug flag at a time")
    if a.steps < 1 or a.batch < 1 or a.log_every < 1 or a.val_every < 1 or a.rows < 1:
        p.error("--steps, --batch, --log-every, --val-every and --rows must be >= 1")
    return a


def make_data(seed, n_train, n_val, spread, noise):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(C, D, generator=g) * spread

    def draw(n):
        y = torch.randint(0, C, (n,), generator=g)
        x = centers[y] + noise * torch.randn(n, D, generator=g)
        return x, y

    return draw(n_train), draw(n_val), g


class MLP(nn.Module):
    def __init__(self, hidden, outputs, softmax_head):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(D, hidden), nn.ReLU(), nn.Linear(hidden, outputs))
        self.softmax_head = softmax_head

    def forward(self, x):
        z = self.net(x)
        # --double-softmax: a softmax "for inference" left in the model, then cross_entropy on top.
        return F.softmax(z, dim=1) if self.softmax_head else z


def main(argv=None):
    a = parse_args(argv)
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)

    if a.tiny_train:
        (xt, yt), (xv, yv), g = make_data(a.seed, 64, 1000, spread=0.45, noise=1.0)
    else:
        (xt, yt), (xv, yv), g = make_data(a.seed, 8000, 1000, spread=0.8, noise=1.0)
    hidden = a.hidden or (256 if a.tiny_train else 64)

    # ---- the bugs: labels / targets / loss as the buggy code has them ---------------------------
    outputs = C
    loss_fn_name = "cross_entropy"
    if a.one_based_labels:
        yt, yv = yt + 1, yv + 1  # labels 1..C …
        outputs = C + 1  # … "fixed" by one more output
    if a.label_equal_to_c:
        bad = torch.rand(len(yt), generator=g) < 0.004  # ~0.4% samples with an "unknown" id = C
        yt = torch.where(bad, torch.full_like(yt, C), yt)
    if a.one_hot_with_index_loss:
        loss_fn_name = "nll"

    def targets(y):
        if a.one_hot_with_index_loss:
            return F.one_hot(y, C)  # int64 [N, C]
        if a.multi_label_with_softmax:
            # multi-label tagging: the true class plus up to two co-occurring tags
            gen = torch.Generator().manual_seed(int(y.sum()) + 7 * len(y))
            extra = torch.rand(len(y), C, generator=gen) < 0.12
            return (F.one_hot(y, C).bool() | extra).float()
        return y

    def pre_loss(out):
        """What is handed to the loss (and logged as "logits")."""
        if a.one_hot_with_index_loss:
            return F.log_softmax(out, dim=1)
        return out

    def loss_of(inp, t):
        """The loss exactly as the (buggy) training code computes it, from the pre-loss input."""
        if a.one_hot_with_index_loss:
            # hand-written NLL written for [N, 1] index columns, fed one-hot rows: gathers columns 0/1
            return -inp.gather(1, t).mean()
        return F.cross_entropy(inp, t)

    model = MLP(hidden, outputs, softmax_head=a.double_softmax)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.steps)

    os.makedirs(a.out, exist_ok=True)
    log_path = os.path.join(a.out, "log.jsonl")
    lw = LossWatchLogger(log_path, every=a.log_every)
    pace = a.live_seconds / a.steps if a.live else 0.0
    n = len(yt)
    perm = torch.randperm(n, generator=g)
    pos = 0
    epoch = 0
    t0 = time.time()
    val_t = targets(yv)

    def validate(step):
        model.eval()
        with torch.no_grad():
            out = model(xv)
            vloss = loss_of(pre_loss(out), val_t).item()
            acc = (out[:, : outputs].argmax(1) == yv).float().mean().item()
        model.train()
        lw.log_val(step, loss=vloss, accuracy=acc, epoch=epoch)
        return vloss, acc

    print("losswatch example: writing %s" % log_path, flush=True)
    vloss, acc = float("nan"), float("nan")
    for step in range(a.steps):
        if pos + a.batch > n:
            perm = torch.randperm(n, generator=g)
            pos = 0
            epoch += 1
        idx = perm[pos : pos + a.batch]
        pos += a.batch
        x, y = xt[idx], yt[idx]
        t = targets(y)

        out = model(x)
        inp = pre_loss(out)
        try:
            loss = loss_of(inp, t)
        except (IndexError, RuntimeError) as e:
            # Log the batch that broke the loss call (all rows, no loss), say what happened, stop.
            lw.log_logits(step, inp, t, loss=None, loss_fn=loss_fn_name)
            lw.log_event(step, "error", "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0]))
            lw.close()
            print("step %d: the loss call raised %s: %s" % (step, type(e).__name__, e), file=sys.stderr)
            return 1

        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf"))  # norm only, no clipping
        opt.step()
        lr_used = opt.param_groups[0]["lr"]
        sched.step()

        lw.log(step, loss=loss, grad_norm=gn, lr=lr_used, epoch=epoch)
        if lw.should_log_logits(step):
            # The first rows and the loss PyTorch computes for exactly those rows.
            with torch.no_grad():
                lw.log_logits(step, inp, t, loss=loss_of, loss_fn=loss_fn_name, rows=a.rows)
        if (step + 1) % a.val_every == 0 or step == a.steps - 1:
            vloss, acc = validate(step)
            if a.live or step == a.steps - 1:
                print(
                    "step %4d  loss %.4f  val_loss %.4f  val_acc %.3f" % (step, loss.item(), vloss, acc),
                    flush=True,
                )
        if pace:
            time.sleep(pace)

    # The final validation batch (128 rows) as a .npy sidecar, with its PyTorch loss.
    with torch.no_grad():
        rows = min(128, len(yv))
        inp = pre_loss(model(xv[:rows]))
        tv = val_t[:rows]
        lw.log_logits(a.steps - 1, inp, tv, loss=loss_of(inp, tv), loss_fn=loss_fn_name, split="val",
                      sidecar=True)
    lw.close()
    if not a.live:
        print("done in %.1fs" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
