#!/usr/bin/env bash
# Imaging defaults (issue 15, BENCHMARKS.md "Imaging defaults"): `train --modality image` with
# nothing but --images/--labels/--out on 800 phantoms of 64 px, held-out AUC per finding on
# three phantom seeds. OLD_FLAGS reproduces the previous defaults (30 epochs, lr 0.001,
# patience 5) for the comparison; the new defaults need no flags. One thread per command.
# About 15 minutes on one core.
#
#   cargo build --release && benches/imaging_defaults.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/medgem-prs}
WORK=${WORK:-/tmp/imaging-defaults}
OLD_FLAGS=${OLD_FLAGS:---epochs 30 --lr 0.001 --patience 5}
mkdir -p "$WORK"
for s in 101 202 303; do
  rm -rf "$WORK/s$s" "$WORK/old_$s" "$WORK/new_$s"
  "$BIN" simulate-images --count 800 --size 64 --seed $s --out "$WORK/s$s" -q
  for m in old new; do
    flags=""; [[ $m == old ]] && flags=$OLD_FLAGS
    # shellcheck disable=SC2086
    /usr/bin/time -f "$m seed $s: train %e s, peak %M KiB" "$BIN" train --modality image \
        --images "$WORK/s$s/images" --labels "$WORK/s$s/labels.tsv" --out "$WORK/${m}_$s" \
        --threads 1 -q $flags
    "$BIN" evaluate --modality image --model "$WORK/${m}_$s" --images "$WORK/s$s/images" \
        --labels "$WORK/s$s/labels.tsv" --out "$WORK/eval_${m}_$s" --threads 1 -q
    awk -F'\t' -v m=$m -v s=$s '$2=="model" && $3=="full" { printf "%s seed %s %s %s\n", m, s, $1, $4 }' \
        "$WORK/eval_${m}_$s/comparison.tsv"
  done
done
