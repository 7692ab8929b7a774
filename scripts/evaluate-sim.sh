#!/usr/bin/env bash
# The comparison run of README.md and BENCHMARKS.md ("Model against baselines"): simulate a
# biobank, train the transformer on its train split, and evaluate it against the linear
# baselines on its test split, for one outcome architecture.
#
#   cargo build --release && scripts/evaluate-sim.sh nonlinear   # or: additive
#
# Sizes: 40,000 samples split 25/35/10/30 (discovery/train/validation/test), so that the
# test split holds at least 200 cases of every outcome for the balanced protocol (the rarest
# outcome, rheumatoid arthritis, has a prevalence of about 2%). About 30 minutes on 2 cores,
# most of it training. STAGES=evaluate reruns only the last stage; SIM_ARGS adds simulate
# options (e.g. SIM_ARGS="--interaction-strength 2" WORK=/tmp/x2).
#
# Outcomes and anchors come from simulate's outcomes.toml: trait ids and signs as a clinician
# would name them, never the simulator's generative weights (those stay in truth.tsv).
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:?usage: scripts/evaluate-sim.sh nonlinear|additive}
BIN=${BIN:-target/release/medgem-prs}
WORK=${WORK:-/work/runs/eval-$ARCH}
SEED=${SEED:-2027}
SAMPLES=${SAMPLES:-40000}
VARIANTS=${VARIANTS:-20000}
TRAITS=${TRAITS:-48}
EPOCHS=${EPOCHS:-30}
SPLITS=${SPLITS:-0.25,0.35,0.1,0.3}
SIM_ARGS=${SIM_ARGS:-}
STAGES=${STAGES:-simulate,train,evaluate}
mkdir -p "$WORK"

stage() { [[ ",$STAGES," == *",$1,"* ]]; }

if stage simulate; then
    /usr/bin/time -v "$BIN" simulate --samples "$SAMPLES" --variants "$VARIANTS" --traits "$TRAITS" \
        --seed "$SEED" --architecture "$ARCH" --split-fractions "$SPLITS" --formats vcf $SIM_ARGS \
        --out "$WORK/sim" --force 2> >(tee "$WORK/simulate.log" >&2)
fi
if stage train; then
    /usr/bin/time -v "$BIN" train "$WORK/sim/genotypes.vcf.gz" --phenotypes "$WORK/sim/phenotypes.tsv" \
        --outcomes "$WORK/sim/outcomes.toml" --panel "$WORK/sim/panel" --out "$WORK/model" --name "eval-$ARCH" --epochs "$EPOCHS" \
        --seed "$SEED" --checkpoint-dir "$WORK/checkpoints" --resume \
        --data-description "medgem-prs simulate --samples $SAMPLES --variants $VARIANTS --traits $TRAITS --seed $SEED --architecture $ARCH --split-fractions $SPLITS $SIM_ARGS (synthetic)" \
        2> >(tee "$WORK/train.log" >&2)
fi
if stage evaluate; then
    # The simulator's interaction form (truth) adds oracle_form and the captured fraction.
    /usr/bin/time -v "$BIN" evaluate "$WORK/sim/genotypes.vcf.gz" --model "$WORK/model" \
        --panel "$WORK/sim/panel" --phenotypes "$WORK/sim/phenotypes.tsv" --seed "$SEED" \
        --oracle-form "$WORK/sim/interactions.tsv" \
        --out "$WORK/evaluate" 2> >(tee "$WORK/evaluate.log" >&2)
fi
