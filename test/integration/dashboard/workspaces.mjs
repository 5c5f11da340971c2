// Generated dashboard workspaces (made at test time, nothing stored): a mixed 7-run workspace and a
// 200-run sweep. Used by suites/dashboard-mixed.mjs, suites/dashboard-many.mjs and scripts/docs-images.mjs.

function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
}

function jsonl(n, { scale = 1, seed = 1, nanAt = -1, evalGroups = 0, every = 1 } = {}) {
  const r = rng(seed);
  const lines = [];
  for (let step = every; step <= n; step += every) {
    const rec = {
      step,
      loss: scale * (2.2 * Math.exp(-step / (n / 3)) + 0.2) + 0.05 * r(),
      lr: 3e-4 * Math.min(1, step / (n / 10)),
      grad_norm: 3 * Math.exp(-step / n) + 0.3 * r(),
    };
    if (step === nanAt) rec.loss = 'NaN';
    if (step % Math.max(every, Math.round(n / 20)) === 0) {
      rec.val_loss = scale * (2.2 * Math.exp(-step / (n / 2.5)) + 0.3) + (step > 0.7 * n ? (step - 0.7 * n) / n : 0);
      for (let g = 0; g < evalGroups; g++) rec[`eval_g${g}_loss`] = (1 + g / 4) * Math.exp(-step / n) + 0.1 * r();
    }
    lines.push(JSON.stringify(rec).replace('"NaN"', 'NaN'));
  }
  return lines.join('\n') + '\n';
}

/** Seven runs, five formats, three `train.jsonl` in different folders, one logged per epoch only. */
export function mixedFiles() {
  const files = {};
  files['exp/a/train.jsonl'] = jsonl(1200, { seed: 1 });
  files['exp/b/train.jsonl'] = jsonl(1200, { seed: 2, scale: 1.15 });
  files['nan/train.jsonl'] = jsonl(600, { seed: 3, nanAt: 420 });
  files['groups/train.jsonl'] = jsonl(1000, { seed: 4, scale: 0.9, evalGroups: 6 });
  // PyTorch Lightning CSVLogger: step and epoch on every row, train rows and val rows.
  {
    const r = rng(5);
    const rows = ['epoch,step,train_loss,val_loss,val_acc'];
    for (let step = 49; step < 1500; step += 50) {
      const epoch = Math.floor(step / 300);
      rows.push(`${epoch},${step},${(2 * Math.exp(-step / 500) + 0.25 + 0.05 * r()).toFixed(5)},,`);
      if ((step + 1) % 300 === 0)
        rows.push(`${epoch},${step},,${(2 * Math.exp(-step / 600) + 0.35).toFixed(5)},${(0.5 + step / 4000).toFixed(4)}`);
    }
    files['lightning/version_0/metrics.csv'] = rows.join('\n') + '\n';
  }
  // Hugging Face Trainer state.
  {
    const log = [];
    for (let step = 10; step <= 500; step += 10) {
      log.push({
        epoch: step / 250,
        grad_norm: 2 * Math.exp(-step / 300) + 0.4,
        learning_rate: 5e-5 * (1 - step / 500),
        loss: 1.8 * Math.exp(-step / 200) + 0.3,
        step,
      });
      if (step % 100 === 0)
        log.push({
          epoch: step / 250,
          eval_loss: 1.7 * Math.exp(-step / 250) + 0.4,
          eval_accuracy: 0.6 + step / 2000,
          eval_runtime: 3.1,
          step,
        });
    }
    files['hf/checkpoint-500/trainer_state.json'] =
      JSON.stringify({ best_metric: null, epoch: 2, global_step: 500, log_history: log }, null, 2) + '\n';
  }
  // Keras CSVLogger: one row per epoch, no step.
  {
    const rows = ['epoch,accuracy,loss,val_accuracy,val_loss'];
    for (let e = 0; e < 30; e++)
      rows.push(
        `${e},${(0.5 + e / 70).toFixed(4)},${(1.5 * Math.exp(-e / 8) + 0.2).toFixed(5)},${(0.48 + e / 80).toFixed(4)},${(1.5 * Math.exp(-e / 9) + 0.3 + (e > 20 ? (e - 20) / 40 : 0)).toFixed(5)}`,
      );
    files['keras/metrics.csv'] = rows.join('\n') + '\n';
  }
  return files;
}

export const MIXED_NAMES = ['a', 'b', 'groups', 'hf', 'keras', 'nan', 'version_0']; // an HF output folder is one run, named by the folder

/** 200 runs of a sweep: sweep{0..4}/lr_{k}e-4_seed{r}/train.jsonl, 300 steps each. */
export function manyFiles(runs = 200) {
  const files = {};
  for (let r = 0; r < runs; r++)
    files[`sweep${r % 5}/lr_${1 + (r % 7)}e-4_seed${r}/train.jsonl`] = jsonl(300, { seed: 100 + r, scale: 0.6 + (r % 13) / 10, every: 1 });
  return files;
}
