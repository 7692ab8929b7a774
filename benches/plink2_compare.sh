#!/usr/bin/env bash
# End-to-end comparison of `medgem-prs prs` with `plink2 --score` on the same cohort, in the
# same run, with hyperfine; peak memory with GNU time. Rerun it anywhere:
#
#   benches/plink2_compare.sh [SAMPLES] [VARIANTS] [WORKDIR] [THREADS]
#
# defaults: 5000 samples x 80000 variants across chromosomes 1-22, work in bench-data/,
# 2 threads. Needs plink2, tabix, hyperfine and GNU time (Debian: plink2 tabix hyperfine time).
# The cohort comes from `plink2 --dummy` (independent variants, 1% missing calls), exported
# as BGZF VCF + .tbi, BGEN v1.2 8-bit (zlib) + .bgi (written by `medgem-prs index`), and
# PLINK 1 bed. The scoring file holds every 10th variant with random weights. medgem-prs runs
# with --keep-ambiguous so that both tools score the same variants (plink2 has no such filter).
set -euo pipefail
N=${1:-5000}
M=${2:-80000}
W=${3:-bench-data}
T=${4:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/target/release/medgem-prs"
(cd "$ROOT" && cargo build --release --quiet)
mkdir -p "$W"
cd "$W"

if [ ! -f "cohort_${N}x${M}.vcf.gz.tbi" ]; then
  plink2 --dummy "$N" "$M" 0.01 acgt --seed 7 --make-pgen --out raw >/dev/null
  # Spread the variants over chromosomes 1-22 at realistic spacing, with positional IDs.
  awk -v M="$M" 'BEGIN{OFS="\t"} NR==1{print;next}
       {i=NR-2; c=1+int(i*22/M); if (c!=pc) {p=10000; pc=c} p+=300+int(rand()*600);
        $1=c; $2=p; $3=c":"p":"$4":"$5; print}' raw.pvar > base.pvar
  cp raw.pgen base.pgen
  cp raw.psam base.psam
  plink2 --pfile base --export vcf bgz --out "cohort_${N}x${M}" >/dev/null
  tabix -f -p vcf "cohort_${N}x${M}.vcf.gz"
  plink2 --pfile base --export bgen-1.2 bits=8 --out "cohort_${N}x${M}" >/dev/null
  "$BIN" index "cohort_${N}x${M}.bgen"
  plink2 --pfile base --make-bed --out "cohort_${N}x${M}" >/dev/null
  awk 'BEGIN{OFS="\t"; srand(11); print "ID","effect_allele","BENCH"}
       NR>1 && (NR-2)%10==0 {print $3, $5, sprintf("%.6f", rand()-0.5)}' base.pvar > "score_${M}.tsv"
  rm -f raw.* base.*
fi
C="cohort_${N}x${M}"
S="score_${M}.tsv"
P2SCORE="--score $S 1 2 3 header-read cols=+scoresums,+denom --threads $T"

echo "## medgem-prs vs plink2 --score: $N samples x $M variants, $(wc -l < "$S") scored variants, $T threads"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem/{print $2}') GiB RAM"
echo "versions: $("$BIN" --version), $(plink2 --version | head -1)"
echo

hyperfine --warmup 1 --runs "${RUNS:-5}" --export-markdown hyperfine.md \
  -n "plink2 VCF.gz" "plink2 --vcf $C.vcf.gz $P2SCORE --out p2_vcf" \
  -n "medgem-prs VCF.gz" "$BIN prs $C.vcf.gz --scores $S --threads $T --out mg_vcf --quiet --keep-ambiguous" \
  -n "plink2 BGEN" "plink2 --bgen $C.bgen ref-first --sample $C.sample $P2SCORE --out p2_bgen" \
  -n "medgem-prs BGEN" "$BIN prs $C.bgen --scores $S --threads $T --out mg_bgen --quiet --keep-ambiguous" \
  -n "plink2 bed" "plink2 --bfile $C $P2SCORE --out p2_bed" \
  -n "medgem-prs bed" "$BIN prs $C.bed --scores $S --threads $T --out mg_bed --quiet --keep-ambiguous"
cat hyperfine.md
echo

echo "| run | peak RSS (MiB) |"
echo "|---|---|"
peak() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }
for run in \
  "plink2 VCF.gz|plink2 --vcf $C.vcf.gz $P2SCORE --out p2_vcf" \
  "medgem-prs VCF.gz|$BIN prs $C.vcf.gz --scores $S --threads $T --out mg_vcf --quiet --keep-ambiguous" \
  "plink2 BGEN|plink2 --bgen $C.bgen ref-first --sample $C.sample $P2SCORE --out p2_bgen" \
  "medgem-prs BGEN|$BIN prs $C.bgen --scores $S --threads $T --out mg_bgen --quiet --keep-ambiguous" \
  "plink2 bed|plink2 --bfile $C $P2SCORE --out p2_bed" \
  "medgem-prs bed|$BIN prs $C.bed --scores $S --threads $T --out mg_bed --quiet --keep-ambiguous"; do
  name=${run%%|*}
  cmd=${run#*|}
  kb=$(peak $cmd)
  echo "| $name | $((kb / 1024)) |"
done
echo

# Same numbers: every sample's SUM from each medgem-prs run against plink2's (6 digits).
# Columns are found by name: plink2 adds #FID and PHENO1 for some inputs.
idsum() {
  awk -F'\t' 'NR==1 {for (i=1;i<=NF;i++) {if ($i=="IID"||$i=="#IID") c=i; if ($i ~ /_SUM$/) s=i}; next}
       {print $c "\t" $s}' "$1"
}
for fmt in vcf bgen bed; do
  paste <(idsum "p2_$fmt.sscore") <(idsum "mg_$fmt.sscore") |
    awk -v f="$fmt" '{d=$2-$4; if (d<0) d=-d; s=($2<0?-$2:$2); if (d > 1e-5*s + 1e-5) bad++; if ($1!=$3) ids++}
         END {printf "%s: %d samples, %d SUM mismatches beyond plink2 print precision, %d ID mismatches\n", f, NR, bad+0, ids+0}'
done
