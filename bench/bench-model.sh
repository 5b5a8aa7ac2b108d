#!/bin/sh
# Whole-model run: rmtk analyze on a generated 12-layer GPT-2-small-shaped safetensors file.
# Figures are off (--no-plots): this measures the analysis. Reports wall time and peak RSS, and
# the issue's target: peak RSS <= 2 x the largest matrix
# in float64 (768 x 3072 x 8 B = 18.9 MB) + 100 MB = 137.7 MB.
# usage: bench/bench-model.sh [BUILD_DIR] [THREADS...]
set -eu
build=${1:-build}
shift 2>/dev/null || true
threads=${*:-"1 2"}
here=$(cd "$(dirname "$0")/.." && pwd)
py=$(sh "$here/scripts/find-python")
tmp=${TMPDIR:-/tmp}/rmtk-bench-model
mkdir -p "$tmp"
[ -f "$tmp/gpt2like.safetensors" ] || "$py" "$here/bench/make_gpt2_like.py" "$tmp/gpt2like.safetensors"
target=$(awk 'BEGIN { printf "%.1f", (2 * 768 * 3072 * 8) / 1048576 + 100 }')
echo "model: 12 x (768x2304, 768x768, 768x3072, 3072x768) float32; RSS target ${target} MiB"
for t in $threads; do
    for stats in basic basic,mp,levels all; do
        /usr/bin/time -f "%e %M" -o "$tmp/time.txt" "$build/rmtk" analyze "$tmp/gpt2like.safetensors" \
            --out "$tmp/out-$t" --threads "$t" --stats "$stats" --quiet --no-plots
        read -r wall rss < "$tmp/time.txt"
        awk -v t="$t" -v s="$stats" -v w="$wall" -v r="$rss" -v g="$target" 'BEGIN {
            printf "threads %s  stats %-15s  wall %6.2f s  peak RSS %7.1f MiB  (%.2f x target)\n",
                   t, s, w, r / 1024, (r / 1024) / g }'
    done
done
