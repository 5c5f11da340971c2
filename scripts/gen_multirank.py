#!/usr/bin/env python3
"""Per-rank JSONL logs of a real torch.distributed data-parallel job on CPU (gloo, DDP).

Usage: gen_multirank.py OUT_DIR [--world 2] [--steps 40]
Writes three jobs under OUT_DIR, each rank logging {"step", "loss", "grad_norm"} to its own file:
  healthy/rank{N}.jsonl       DDP as it should be: after the all-reduce every rank has the same gradients
  desync/rank{N}.jsonl        from step 20 on the ranks leave the gradient sync (no_sync) and rank 1 fits a
                              different target: its gradient norm and its weights part from the others
  stalled/rank{N}.jsonl       rank 1 stops writing at step 15 while the others go on
The grad norm is torch.nn.utils.clip_grad_norm_(…, inf) after backward (after the all-reduce).
"""
import json
import os
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP


def worker(rank, world, steps, out, variant, port):
    os.environ['MASTER_ADDR'] = '127.0.0.1'
    os.environ['MASTER_PORT'] = str(port)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
    g = torch.Generator().manual_seed(1000 + rank)  # each rank its own data shard
    w_true = torch.arange(8, dtype=torch.float32) / 8
    os.makedirs(os.path.join(out, variant), exist_ok=True)
    with open(os.path.join(out, variant, 'rank%d.jsonl' % rank), 'w') as f:
        for step in range(steps):
            x = torch.randn(32, 8, generator=g)
            y = x @ w_true + 0.1 * torch.randn(32, generator=g)
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(ddp(x).squeeze(-1), y)
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(ddp.parameters(), float('inf'))
            opt.step()
            if variant == 'stalled' and rank == 1 and step >= 15:
                continue  # the rank stops writing (a hung data loader, a dead logger)
            f.write(json.dumps({'step': step, 'loss': loss.item(), 'grad_norm': gn.item()}) + '\n')
            f.flush()
    dist.destroy_process_group()


def main():
    out = sys.argv[1]
    world = int(sys.argv[sys.argv.index('--world') + 1]) if '--world' in sys.argv else 2
    steps = int(sys.argv[sys.argv.index('--steps') + 1]) if '--steps' in sys.argv else 40
    for k, variant in enumerate(('healthy', 'desync', 'stalled')):
        # the desync variant: rank 1 skips the all-reduce, the others' all-reduce then waits for it,
        # so every rank runs no_sync from step 20 on (the others with the shared data as before)
        mp.spawn(worker if variant != 'desync' else desync_worker, args=(world, steps, out, variant, 29500 + os.getpid() % 1000 + k), nprocs=world, join=True)


def desync_worker(rank, world, steps, out, variant, port):
    # with DDP every rank must take part in every all-reduce: from step 20 all ranks leave the sync
    # (no_sync), rank 1 with a different target: its gradients (and grad norm) part from the others
    os.environ['MASTER_ADDR'] = '127.0.0.1'
    os.environ['MASTER_PORT'] = str(port)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
    g = torch.Generator().manual_seed(1000 + rank)
    w_true = torch.arange(8, dtype=torch.float32) / 8
    os.makedirs(os.path.join(out, variant), exist_ok=True)
    with open(os.path.join(out, variant, 'rank%d.jsonl' % rank), 'w') as f:
        for step in range(steps):
            x = torch.randn(32, 8, generator=g)
            y = x @ w_true + 0.1 * torch.randn(32, generator=g)
            opt.zero_grad()
            if step >= 20:
                with ddp.no_sync():
                    loss = torch.nn.functional.mse_loss(ddp(x).squeeze(-1), y * (3 if rank == 1 else 1))
                    loss.backward()
            else:
                loss = torch.nn.functional.mse_loss(ddp(x).squeeze(-1), y)
                loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(ddp.parameters(), float('inf'))
            opt.step()
            f.write(json.dumps({'step': step, 'loss': loss.item(), 'grad_norm': gn.item()}) + '\n')
            f.flush()
    dist.destroy_process_group()


if __name__ == '__main__':
    main()
