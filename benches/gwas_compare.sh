#!/usr/bin/env bash
# `medgem-prs gwas` against `plink2 --glm` on the cohort made by benches/plink2_compare.sh
# (run that first), chromosome 1 only (~3,600 variants x 5,000 samples), age and sex as
# covariates, a quantitative and a binary phenotype drawn with a fixed seed.
#
#   benches/gwas_compare.sh [WORKDIR] [THREADS]
set -euo pipefail
W=${1:-bench-data}
T=${2:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/target/release/medgem-prs"
(cd "$ROOT" && cargo build --release --quiet)
cd "$W"
C=$(ls cohort_*.fam | head -1)
C=${C%.fam}
python3 - "$C" <<'PY'
import random, sys
random.seed(3)
ids = [l.split()[1] for l in open(sys.argv[1] + ".fam")]
rows = []
for i in ids:
    age = round(random.uniform(40, 70), 1)
    sex = random.choice("FM")
    rows.append((i, age, sex, random.gauss(0, 1) + 0.02 * age, 1 if random.random() < 0.3 else 0))
with open("pheno.tsv", "w") as f:
    f.write("IID\tage\tsex\tqt\tcc\n")
    for i, age, sex, qt, cc in rows:
        f.write(f"{i}\t{age}\t{sex}\t{qt:.5f}\t{cc}\n")
with open("pheno_p2.tsv", "w") as f:
    f.write("#IID\tqt\tcc\n")
    for i, age, sex, qt, cc in rows:
        f.write(f"{i}\t{qt:.5f}\t{cc + 1}\n")
with open("covar_p2.tsv", "w") as f:
    f.write("#IID\tage\tsex\n")
    for i, age, sex, qt, cc in rows:
        f.write(f"{i}\t{age}\t{1 if sex == 'M' else 0}\n")
PY
echo "## medgem-prs gwas vs plink2 --glm: $C, chromosome 1, $T threads"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
P2="--bfile $C --chr 1 --pheno pheno_p2.tsv --covar covar_p2.tsv --glm hide-covar --threads $T"
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-markdown gwas_hyperfine.md \
  -n "plink2 --glm linear" "plink2 $P2 --pheno-name qt --out p2_qt" \
  -n "medgem-prs gwas linear" "$BIN gwas $C.bed --phenotypes pheno.tsv --pheno qt --covar age,sex --region 1 --threads $T --quiet --out mg_qt.tsv" \
  -n "plink2 --glm logistic" "plink2 $P2 --pheno-name cc --out p2_cc" \
  -n "medgem-prs gwas logistic" "$BIN gwas $C.bed --phenotypes pheno.tsv --pheno cc --covar age,sex --region 1 --threads $T --quiet --out mg_cc.tsv"
cat gwas_hyperfine.md
# Same numbers: BETA per variant. plink2 reports OR for logistic, and this plink2 version
# tests the minor allele (its A1 column), so its sign flips where A1 is the REF allele;
# medgem-prs always tests ALT.
python3 - <<'PY'
import math
def table(p):
    lines = [l.rstrip("\n").split("\t") for l in open(p)]
    return lines[0], lines[1:]
for kind, p2file, coef in [("linear", "p2_qt.qt.glm.linear", "BETA"), ("logistic", "p2_cc.cc.glm.logistic.hybrid", "OR")]:
    try:
        h2, r2 = table(p2file)
    except FileNotFoundError:
        h2, r2 = table(p2file.replace(".hybrid", ""))
    hm, rm = table(f"mg_{'qt' if kind == 'linear' else 'cc'}.tsv")
    ours = {(r[hm.index("POS")], r[hm.index("ALT")]): r for r in rm}
    worst, n = 0.0, 0
    for r in r2:
        key = (r[h2.index("POS")], r[h2.index("ALT")])
        v = r[h2.index(coef)]
        if v == "NA" or key not in ours:
            continue
        theirs = float(v) if coef == "BETA" else math.log(float(v))
        if r[h2.index("A1")] != r[h2.index("ALT")]:
            theirs = -theirs
        if ours[key][hm.index("BETA")] == "NA":
            print(f"{kind}: medgem-prs NA where plink2 has {coef} {v} at {key}")
            continue
        mine = float(ours[key][hm.index("BETA")])
        worst = max(worst, abs(mine - theirs) / max(abs(theirs), 1e-3))
        n += 1
    print(f"{kind}: {n} variants compared, largest relative BETA difference {worst:.2e}")
PY
