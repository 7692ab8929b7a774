#!/usr/bin/env bash
# Behaviour-unchanged check for refactors: runs score, predict, prs, encode, evaluate and two
# bad inputs with an OLD and a NEW binary on the same inputs, and compares every output file
# (stdout, stderr and exit codes too). Files must be byte-identical, except the temporary
# path of the unpacked embedded default and PNGs, which must decode to the same pixels
# (their compression may differ). A small cohort is simulated and a tiny model trained with
# the OLD binary, so both binaries read the same model.
#
#   scripts/same-outputs.sh OLD_BINARY NEW_BINARY [WORKDIR]
set -euo pipefail
OLD=$(realpath "$1"); NEW=$(realpath "$2"); W=${3:-$(mktemp -d)}
REPO=$(cd "$(dirname "$0")/.." && pwd)
E=$REPO/examples/data
mkdir -p "$W"; cd "$W"
if [ ! -d sim ]; then
  "$OLD" simulate --samples 1500 --variants 1500 --traits 12 --seed 5 --out sim --quiet --formats vcf,bed
fi
if [ ! -d model ]; then
  "$OLD" train sim/genotypes.vcf.gz --phenotypes sim/phenotypes.tsv --panel sim/panel --out model --epochs 2 --quiet
fi
outputs() {
  local BIN=$1 OUT=$2 S=$W/sim M=$W/model
  rm -rf "$OUT"; mkdir -p "$OUT"
  run() { local name=$1; shift; set +e; "$BIN" "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr"; echo $? > "$OUT/$name.rc"; set -e; }
  run score score "$E/cohort.vcf.gz" --covariates "$E/cohort.phenotypes.tsv" --show-sample S000034 --out "$OUT/score" --quiet
  run score_default score "$E/cohort.vcf.gz" --out "$OUT/score_default" --quiet
  run predict predict "$E/cohort.vcf.gz" --covariates "$E/cohort.phenotypes.tsv" --out "$OUT/predict.tsv" --quiet
  run prs prs "$E/cineca_chr22.vcf.gz" --scores "$E/PGS001229_22.txt" --out "$OUT/prs/cineca" --quiet
  run encode encode "$E/cohort.vcf.gz" --out "$OUT/encode.tsv" --png "$OUT/encode_png" --quiet
  run predict_sim predict "$S/genotypes.vcf.gz" --model "$M" --panel "$S/panel" --covariates "$S/phenotypes.tsv" --out "$OUT/predict_sim.tsv" --quiet
  run evaluate evaluate "$S/genotypes.vcf.gz" --model "$M" --panel "$S/panel" --phenotypes "$S/phenotypes.tsv" --out "$OUT/evaluate" --quiet --draws 3
  run score_sim score "$S/genotypes.bed" --model "$M" --panel "$S/panel" --out "$OUT/score_sim" --quiet
  run bad_panel predict "$S/genotypes.vcf.gz" --model "$M" --panel "$REPO/panels/default" --out "$OUT/bad.tsv" --quiet
  run bad_train train "$S/genotypes.vcf.gz" --phenotypes "$E/cohort.phenotypes.tsv" --panel "$S/panel" --out "$OUT/badmodel" --quiet
}
outputs "$OLD" old
outputs "$NEW" new
python3 "$REPO/scripts/same_outputs.py" old new
