#!/usr/bin/env bash
# README "Your own biobank", rerunnable: from GWAS summary statistics named by one's own trait
# ids (Pan-UKB-like phenocodes) and a phenotype table with one's own outcome columns
# (ICD-10-like codes), to `score` with one's own outcomes and a zero-shot query.
#
# No real biobank can be shipped, so the "biobank" is a small `simulate` run whose vocabulary
# is replaced: its GWAS files are renamed to phenocodes, its outcome columns to ICD-10 codes,
# and its outcomes.toml is dropped for one written by hand below. About 3 minutes on 2 cores.
#
#   cargo build --release && examples/own-biobank/walkthrough.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-$PWD/target/release/medgem-prs}
WORK=${WORK:-$(mktemp -d /tmp/own-biobank.XXXXXX)}
mkdir -p "$WORK" && cd "$WORK"

# 0. A stand-in biobank (genotypes, phenotypes, per-trait GWAS on its discovery split).
"$BIN" simulate --samples 6000 --variants 4000 --traits 12 --seed 15 --formats bed --out sim -q
cp sim/genotypes.bed cohort.bed; cp sim/genotypes.bim cohort.bim; cp sim/genotypes.fam cohort.fam
awk -F'\t' 'NR > 1 && $5 == "discovery" { print $1 }' sim/phenotypes.tsv > discovery.ids

# 1. Summary statistics under one's own trait ids.
mkdir -p gwas
declare -A CODE=([ldl_c]=30780 [hdl_c]=30760 [sbp]=4080 [glucose]=30740 [bmi]=21001
                 [hba1c]=30750 [crp]=30710 [iop]=5263 [fev1_fvc]=20258 [rheumatoid_factor]=30820
                 [depressive_symptoms]=20126 [eosinophil_count]=30150)
args=()
for t in ldl_c hdl_c sbp glucose bmi hba1c crp iop fev1_fvc rheumatoid_factor depressive_symptoms eosinophil_count; do
    cp "sim/gwas/$t.tsv.gz" "gwas/${CODE[$t]}.tsv.gz"
    args+=("${CODE[$t]}=gwas/${CODE[$t]}.tsv.gz")
done

# 2. A panel from them: P+T at three thresholds, LD from the discovery samples.
"$BIN" panel build --sumstats "${args[@]}" --ld-ref cohort.bed --ld-samples discovery.ids \
    --out panel -q

# 3. The phenotype table with one's own outcome columns.
awk -F'\t' -v OFS='\t' 'NR == 1 {
        split("cad I25 stroke I63 t2d E11 glaucoma H40 copd J44 ra M05 mdd F32 mortality DEATH hypertension I10 hypercholesterolemia E78 af I48 diabetic_retinopathy H36 asthma J45 pneumonia J18", m, " ")
        for (i = 1; i < 28; i += 2) code[m[i]] = m[i + 1]
        for (i = 1; i <= NF; i++) if ($i in code) $i = code[$i]
    } { print }' sim/phenotypes.tsv > phenotypes.tsv

# 4. Outcomes as a clinician would define them: anchors by phenocode and sign.
cat > outcomes.toml <<'TOML'
[[outcome]]
id = "I25"
name = "Coronary artery disease"
anchors = ["30780", "4080", "-30760"]

[[outcome]]
id = "E11"
name = "Type 2 diabetes"
anchors = ["21001", "30740", "30750"]

[[outcome]]
id = "I63"
name = "Stroke"
anchors = ["4080", "30780:0.5"]

[[outcome]]
id = "J44"
name = "COPD"
anchors = ["-20258"]

[[outcome]]
id = "I10"
name = "Essential hypertension"
trained = false
anchors = ["4080", "21001"]
prevalence = 0.25
TOML

# 5. Train on one's own outcomes; the model directory carries its panel.
"$BIN" train cohort.bed --phenotypes phenotypes.tsv --outcomes outcomes.toml --panel panel \
    --out model --epochs 10 --seed 1 -q
ls model

# 6. Score with the model alone, and ask about an outcome it never saw, without retraining.
"$BIN" score cohort.bed --model model --covariates phenotypes.tsv \
    --query 'E78=30780,-30760' --out report
head -c 600 report/scores.tsv | head -2 | cut -f1-4
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /_probability$/) printf "%s ", $i; print "" }' report/scores.tsv

# 7. How good is it? (test split of the table's own `split` column)
"$BIN" evaluate cohort.bed --model model --phenotypes phenotypes.tsv --query 'E78=30780,-30760' \
    --balanced 0 --out eval -q
awk -F'\t' '$3 == "full" && ($2 == "model" || $2 == "ensemble" || $2 == "correlated_outcome") { printf "%-6s %-18s %s\n", $1, $2, $4 }' eval/comparison.tsv
echo "work directory: $WORK"
