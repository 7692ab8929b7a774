#!/usr/bin/env bash
# Times `medgem-prs simulate` at the issue's acceptance size (50,000 samples × 100,000
# variants × 64 traits, GWAS and panel included) and a multi-trait GWAS against plink2
# --glm on the same simulated cohort (both on the discovery split, age and sex covariates).
#
#   benches/simulate_bench.sh [WORKDIR] [THREADS] [SAMPLES] [VARIANTS] [TRAITS]
set -euo pipefail
W=${1:-bench-data}
T=${2:-2}
N=${3:-50000}
M=${4:-100000}
K=${5:-64}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/target/release/medgem-prs"
(cd "$ROOT" && cargo build --release --quiet)
mkdir -p "$W"
cd "$W"
OUT="sim_${N}x${M}x${K}"
echo "## medgem-prs simulate --samples $N --variants $M --traits $K, $T threads"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
if [ "${SKIP_SIM:-0}" != 1 ]; then
/usr/bin/time -f "simulate: %e s wall, %M KiB peak RSS" \
  "$BIN" simulate --samples "$N" --variants "$M" --traits "$K" --seed 1 --threads "$T" \
  --out "$OUT" --force 2>&1 | grep -v '^\s*$' | tail -3
du -sh "$OUT"/genotypes.* "$OUT"/gwas "$OUT"/panel | sed 's/^/  /'
fi

# Multi-trait GWAS of 8 traits on the discovery split: ours (one pass) vs plink2 (one pass).
# The .fam has FID = IID, so plink2's tables carry both columns.
python3 - "$OUT" <<'PY'
import sys
d = sys.argv[1]
rows = [l.rstrip("\n").split("\t") for l in open(f"{d}/phenotypes.tsv")]
h = rows[0]; rows = rows[1:]
traits = [t for t in h[5 + 14:]][:8]
ix = {c: i for i, c in enumerate(h)}
with open(f"{d}/p2_pheno.tsv", "w") as f:
    f.write("#FID\tIID\t" + "\t".join(traits) + "\n")
    for r in rows:
        f.write(r[0] + "\t" + r[0] + "\t" + "\t".join(r[ix[t]] for t in traits) + "\n")
with open(f"{d}/p2_covar.tsv", "w") as f:
    f.write("#FID\tIID\tage\tsex\n")
    for r in rows:
        f.write(f"{r[0]}\t{r[0]}\t{r[ix['age']]}\t{1 if r[ix['sex']] == 'M' else 0}\n")
with open(f"{d}/p2_keep.txt", "w") as f:
    for r in rows:
        if r[ix["split"]] == "discovery":
            f.write(r[0] + "\t" + r[0] + "\n")
open(f"{d}/traits8.txt", "w").write(",".join(traits))
PY
TR=$(cat "$OUT/traits8.txt")
TR1=${TR%%,*}
echo "GWAS on the discovery split, 1 trait ($TR1) and 8 traits ($TR):"
hyperfine --warmup 0 --runs 3 --export-markdown "$OUT/gwas8.md" \
  "$BIN gwas $OUT/genotypes.bed --phenotypes $OUT/phenotypes.tsv --pheno $TR1 --covar age,sex --split discovery --out $OUT/g1.tsv --threads $T --quiet" \
  "$BIN gwas $OUT/genotypes.bed --phenotypes $OUT/phenotypes.tsv --pheno $TR --covar age,sex --split discovery --out $OUT/g8 --threads $T --quiet" \
  "plink2 --bfile $OUT/genotypes --pheno $OUT/p2_pheno.tsv --covar $OUT/p2_covar.tsv --keep $OUT/p2_keep.txt --glm hide-covar --threads $T --out $OUT/p2g8 --silent"
cat "$OUT/gwas8.md"
