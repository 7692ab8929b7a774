#!/usr/bin/env bash
# Rebuilds the shipped defaults from scratch: models/default (with its panel, which
# panels/default links to) and the held-out
# example cohort examples/data/cohort.vcf.gz (+ .tbi, cohort.phenotypes.tsv).
#
# Everything comes from one `simulate` run (seed and sizes below, also recorded in the model's
# config.json and MODEL_CARD.md): the panel is built by gwas + panel build on its discovery
# split, the model is trained on its train split (early stopping on validation), and the
# example cohort is the first COHORT_SAMPLES samples of its test split, restricted to the
# panel's variants. Needs a release build, bcftools and tabix. About 20 minutes on 2 cores.
#
#   cargo build --release && scripts/make-default.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/medgem-prs}
WORK=${WORK:-$(mktemp -d /tmp/medgem-default.XXXXXX)}
SEED=${SEED:-2026}
SAMPLES=${SAMPLES:-20000}
VARIANTS=${VARIANTS:-20000}
TRAITS=${TRAITS:-48}
EPOCHS=${EPOCHS:-30}
COHORT_SAMPLES=${COHORT_SAMPLES:-1000}

"$BIN" simulate --samples "$SAMPLES" --variants "$VARIANTS" --traits "$TRAITS" --seed "$SEED" \
    --formats vcf --out "$WORK/sim" --force
# Outcomes from simulate's outcomes.toml: ids, names, trained/zero-shot and anchors by trait id
# and sign only (never the simulation's generative weights).
"$BIN" train "$WORK/sim/genotypes.vcf.gz" --phenotypes "$WORK/sim/phenotypes.tsv" \
    --outcomes "$WORK/sim/outcomes.toml" \
    --panel "$WORK/sim/panel" --out "$WORK/model" --name default --epochs "$EPOCHS" \
    --seed "$SEED" \
    --data-description "medgem-prs simulate --samples $SAMPLES --variants $VARIANTS --traits $TRAITS --seed $SEED (synthetic; nonlinear architecture)"

# The model directory carries its panel (models/default/panel); panels/default points at it.
rm -rf panels/default models/default
cp -r "$WORK/model" models/default
cp "$WORK/sim/outcomes.toml" models/default/outcomes.toml
ln -s ../models/default/panel panels/default
cat >> models/default/MODEL_CARD.md <<CARD

## This is the built-in default

**It was trained on synthetic data only**: the simulated biobank of
\`medgem-prs simulate --samples $SAMPLES --variants $VARIANTS --traits $TRAITS --seed $SEED\`
(nonlinear architecture), whose panel (\`models/default/panel\`, also \`panels/default\`) was built by \`gwas\` + \`panel build\` on
its discovery split. No real person's data was used, and its risks mean nothing for real people.
It exists so that \`medgem-prs score\` and \`predict\` run out of the box, and as a reference for
tests and benchmarks. \`scripts/make-default.sh\` rebuilds it; \`examples/data/cohort.vcf.gz\` is
held out from the same simulation (test split).
CARD

# The example cohort: test-split samples, panel variants only.
awk -F'\t' -v n="$COHORT_SAMPLES" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "split") s = i; next }
            $s == "test" && kept < n { print $1; kept++ }' "$WORK/sim/phenotypes.tsv" > "$WORK/cohort.ids"
for f in models/default/panel/*.txt*; do
    if [[ $f == *.gz ]]; then gzip -dc "$f"; else cat "$f"; fi
done | awk -F'\t' '/^#/ || $1 == "chr_name" || $1 == "rsID" { next } { print $0 }' > "$WORK/panel.rows"
# Columns of the scoring files panel build writes: rsID chr_name chr_position ...
awk -F'\t' 'NF >= 3 && $3 ~ /^[0-9]+$/ { print $2 "\t" $3 }' "$WORK/panel.rows" | sort -u -k1,1V -k2,2n \
    > "$WORK/panel.positions"
bcftools view -S "$WORK/cohort.ids" -T "$WORK/panel.positions" -Oz -o examples/data/cohort.vcf.gz \
    "$WORK/sim/genotypes.vcf.gz"
tabix -f -p vcf examples/data/cohort.vcf.gz
awk -F'\t' 'NR == FNR { keep[$1] = 1; next } FNR == 1 || ($1 in keep)' "$WORK/cohort.ids" \
    "$WORK/sim/phenotypes.tsv" > examples/data/cohort.phenotypes.tsv
echo "defaults rebuilt from $WORK (seed $SEED); $(wc -l < "$WORK/panel.positions") panel variants, $(wc -l < "$WORK/cohort.ids") cohort samples"
