#!/usr/bin/env bash
# The pipeline's contract, without Nextflow (which cannot be downloaded here): runs the
# script block of every process in modules/*.nf exactly as written, in the order and with
# the inputs main.nf gives them. Each task gets its own directory with its inputs linked in
# by name, as Nextflow stages them; `${name}` is filled from shell variables of the same
# names and `\$` / `\\` are unescaped, as Groovy does. tests/nextflow_contract.rs runs it in CI
# and checks the gathered results against single, unsharded runs.
#
#   examples/nextflow/contract.sh COHORT.vcf.gz OUTDIR [REGIONS] [CHUNK_SIZE]
#   (medgem-prs must be on PATH; PANEL and MODEL may be set like params.panel / params.model)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
GENOTYPES=$(realpath "$1")
OUTDIR=$2
REGIONS=${3:-$(seq -s, 1 22)}
CHUNK_SIZE=${4:-5000}
PANEL=$(realpath "${PANEL:-$ROOT/panels/default}")
THREADS=${THREADS:-2}
mkdir -p "$OUTDIR"
OUTDIR=$(realpath "$OUTDIR")
WORK="$OUTDIR/work"
rm -rf "$WORK"
mkdir -p "$WORK"

# The script block of a module, as Groovy renders the triple-quoted string (the variables
# are expanded by eval below).
block() {
    awk '/"""/ { inside = !inside; next } inside' "$HERE/modules/$1" |
        sed -e 's/\\\\/\x01/g' -e 's/\\\$/$/g' -e 's/\x01/\\/g'
}

# Runs a module's script block in a new task directory holding links to the given files.
task() {
    local module=$1 dir=$2
    shift 2
    mkdir -p "$dir"
    for f in "$@"; do ln -sf "$f" "$dir/$(basename "$f")"; done
    local text
    text=$(block "$module")
    # Nextflow runs task scripts with `bash -ue` (no pipefail).
    (cd "$dir" && set +o pipefail && echo "[$module] $(echo "$text" | sed 's/^ *//' | tr '\n' ' ')" &&
        eval "$text") || { echo "contract: $module failed in $dir" >&2; exit 1; }
}

genotypes=$(basename "$GENOTYPES")
index="$genotypes.tbi"
panel=$(basename "$PANEL")
threads=$THREADS
if [ -n "${MODEL:-}" ]; then
    model_args="--model $(realpath "$MODEL") --panel $PANEL"
else
    model_args=""
fi

# SAMPLE_CHUNKS
chunk_size=$CHUNK_SIZE
task samples.nf "$WORK/samples" "$GENOTYPES"
chunks=$(cd "$WORK/samples" && ls chunk_*.txt | sed 's/[.]txt$//')

for chunk_id in $chunks; do
    chunk="$chunk_id.txt"
    # PRS_SHARD, one task per region × chunk
    shard_files=()
    for region in ${REGIONS//,/ }; do
        dir="$WORK/prs_${region}_${chunk_id}"
        task prs.nf "$dir" "$GENOTYPES" "$GENOTYPES.tbi" "$PANEL" "$WORK/samples/$chunk"
        shard_files+=("$dir"/shard_*)
    done
    # MERGE_REGIONS (groupTuple by chunk)
    task merge.nf "$WORK/merge_$chunk_id" "${shard_files[@]}"
    # ENCODE_CHUNK and PREDICT_CHUNK
    task encode.nf "$WORK/encode_$chunk_id" "$GENOTYPES" "$GENOTYPES.tbi" "$WORK/samples/$chunk"
    task predict.nf "$WORK/predict_$chunk_id" "$GENOTYPES" "$GENOTYPES.tbi" "$WORK/samples/$chunk"
done

# GATHER, then publishDir (mode copy)
task gather.nf "$WORK/gather" "$WORK"/merge_*/merged_* "$WORK"/predict_*/predictions_*.tsv \
    "$WORK"/encode_*/images_*.tsv
cp "$WORK"/gather/cohort.* "$OUTDIR"/
echo "contract run complete: $(ls "$OUTDIR" | grep -c '^cohort[.]') files in $OUTDIR"
