"""Writes a hyper-parameter sweep the way real training scripts do: one folder per run, one JSONL file
written by Python's json.dumps (17 significant digits for every float), train lines every step and a
val line every `val_every` steps with a string `split` field.

usage: sweep_writer.py OUT RUNS STEPS [OVERFIT]
Runs whose index is in the overfitting set (every 7th run, OVERFIT of them, default 29 of 200) have a
validation loss that turns up after 45 % of training while the training loss keeps falling; all other
runs are healthy (both losses fall, noise far below the trend). Prints a JSON summary (runs, points,
bytes, the overfitting run folders).
"""
import json
import math
import os
import random
import sys


def main() -> None:
    out, runs, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    n_over = int(sys.argv[4]) if len(sys.argv) > 4 else max(1, round(runs * 29 / 200))
    val_every = 500 if steps >= 5000 else max(50, steps // 40)
    over = set(range(0, runs, max(1, runs // n_over))[:n_over])
    points = 0
    size = 0
    names = []
    for i in range(runs):
        lr = [1e-4, 3e-4, 1e-3, 3e-3][i % 4]
        name = f"lr_{lr:g}_seed{i}"
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        rnd = random.Random(i)
        tau = steps / 3.3
        f = os.path.join(d, "metrics.jsonl")
        with open(f, "w") as fh:
            for t in range(steps):
                train = 2.5 * math.exp(-t / tau) + 0.1 + 0.01 * rnd.random()
                fh.write(json.dumps({"step": t, "split": "train", "loss": train, "lr": lr * (1 - t / steps), "grad_norm": 1 + rnd.random()}) + "\n")
                points += 3
                if t % val_every == val_every - 1:
                    val = 2.6 * math.exp(-t / tau) + 0.15 + 0.002 * rnd.random()
                    if i in over:
                        val += 0.6 * max(0.0, (t - 0.45 * steps) / steps)
                    fh.write(json.dumps({"step": t, "split": "val", "loss": val}) + "\n")
                    points += 1
        size += os.path.getsize(f)
        if i in over:
            names.append(name)
    print(json.dumps({"runs": runs, "steps": steps, "points": points, "bytes": size, "overfitting": sorted(names)}))


if __name__ == "__main__":
    main()
