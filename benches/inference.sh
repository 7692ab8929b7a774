#!/usr/bin/env bash
# Inference speed of a trained genomic model on the CPU: encode (panel scores -> genomic
# images) plus the forward pass, in samples/s. Uses the built-in default model unless MODEL
# is set. The issue's target is 20,000 samples/s on 2 cores.
#
#   benches/inference.sh [THREADS] [SAMPLES] [REPEATS]
#   MODEL=models/mine benches/inference.sh 2
set -euo pipefail
T=${1:-2}
N=${2:-100000}
R=${3:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/target/release/medgem-prs"
(cd "$ROOT" && cargo build --release --quiet)
echo "## medgem-prs bench-inference, $N samples × $R repeats, $T threads"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
ARGS=(--samples "$N" --repeats "$R" --threads "$T")
if [ -n "${MODEL:-}" ]; then ARGS+=(--model "$MODEL"); fi
JSON=$("$BIN" bench-inference "${ARGS[@]}")
python3 - "$JSON" <<'PY'
import json, statistics, sys
r = json.loads(sys.argv[1])
print(f"model {r['model']}: {r['traits']} traits, image {r['image_shape']}, {r['tokens']} tokens, "
      f"d_model {r['d_model']}, {r['layers']} layers, {r['threads']} threads")
e, f = r["encode_seconds"], r["forward_seconds"]
print(f"encode  s/repeat: median {statistics.median(e):.3f} (min {min(e):.3f}, max {max(e):.3f})")
print(f"forward s/repeat: median {statistics.median(f):.3f} (min {min(f):.3f}, max {max(f):.3f})")
print(f"samples/s, encode + forward: median {r['median_samples_per_second']:,.0f}, "
      f"best {r['best_samples_per_second']:,.0f}")
PY
