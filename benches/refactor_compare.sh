#!/usr/bin/env bash
# Speed of two builds on the same inputs, in the same run (issue #14: a refactor must not
# slow anything down): `score` with the built-in model, `prs` on the pgsc_calc chr22 cohort,
# and `predict`. Interleaved hyperfine runs, so the 2 noisy cores affect both alike.
#
#   benches/refactor_compare.sh OLD_BINARY NEW_BINARY [RUNS]
set -euo pipefail
OLD=$(realpath "$1"); NEW=$(realpath "$2"); RUNS=${3:-10}
REPO=$(cd "$(dirname "$0")/.." && pwd); E=$REPO/examples/data
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
for job in \
  "score $E/cohort.vcf.gz --covariates $E/cohort.phenotypes.tsv --out $W/score --quiet" \
  "prs $E/cineca_chr22.vcf.gz --scores $E/PGS001229_22.txt --out $W/prs --quiet" \
  "predict $E/cohort.vcf.gz --covariates $E/cohort.phenotypes.tsv --out $W/p.tsv --quiet"; do
  hyperfine --warmup 2 --runs "$RUNS" -N --export-markdown "$W/t.md" \
    -n old "$OLD $job" -n new "$NEW $job" >/dev/null
  echo "### ${job%% *}"; cat "$W/t.md"; echo
done
