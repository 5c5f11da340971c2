#!/usr/bin/env bash
# Regenerates test/fixtures/runs/<case>/ by running the real PyTorch example once per case, fixed seeds.
# Usage: scripts/gen_example_runs.sh [out_dir]   (default test/fixtures/runs; needs torch in $PYTHON)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-/usr/bin/python3}"
OUT="${1:-test/fixtures/runs}"
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "gen_example_runs: $PYTHON has no torch; the committed logs in $OUT stay as they are" >&2
  exit 3
fi

run() { # case expected_exit flags…
  local name="$1" want="$2"; shift 2
  rm -rf "${OUT:?}/$name"
  set +e
  "$PYTHON" examples/train_classifier.py --out "$OUT/$name" --seed 0 --steps 150 --log-every 25 --rows 6 "$@" >/dev/null 2>"$OUT.$name.err"
  local rc=$?
  set -e
  if [ "$rc" != "$want" ]; then
    echo "gen_example_runs: case $name exited $rc (expected $want):" >&2
    cat "$OUT.$name.err" >&2
    rm -f "$OUT.$name.err"
    exit 1
  fi
  rm -f "$OUT.$name.err"
  echo "  $name: $(wc -l < "$OUT/$name/log.jsonl") lines"
}

mkdir -p "$OUT"
echo "writing $OUT"
run healthy 0
run high-lr-nan 0 --lr 50
run double-softmax 0 --double-softmax
run one-based-labels 0 --one-based-labels
run label-equal-to-c 1 --label-equal-to-c
run one-hot-with-index-loss 0 --one-hot-with-index-loss
run tiny-train-overfit 0 --tiny-train
run multi-label-with-softmax 0 --multi-label-with-softmax
du -sh "$OUT"
