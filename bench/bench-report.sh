#!/bin/sh
# The report of a big model (issue 14, part 3): rmtk analyze on a generated Llama-shaped file of
# 32 blocks x 7 matrices (224; 256 x 256 attention, 256 x 688 MLP, float16), with each --figures
# level. Prints the bytes of report.html, of figures/ and of layers/, the seconds spent drawing
# the figures and writing the HTML (RMTK_TIMING=1) and their share of the whole run, and, when
# chromium is installed, the seconds headless Chromium needs to load report.html (--dump-dom;
# its own start included). Targets: report.html < 2 MB; figures a small share of the run.
# usage: bench/bench-report.sh [BUILD_DIR] [FIGURES...]   (default: summary all)
set -eu
build=${1:-build}
shift 2>/dev/null || true
levels=${*:-"summary all"}
here=$(cd "$(dirname "$0")/.." && pwd)
py=$(sh "$here/scripts/find-python")
tmp=${TMPDIR:-/tmp}/rmtk-bench-report
mkdir -p "$tmp"
[ -f "$tmp/llm224.safetensors" ] || "$py" "$here/bench/make_llm_like.py" "$tmp/llm224.safetensors" 32 256 688
echo "model: 32 blocks x 7 (256x256 x4, 688x256 x2, 256x688) float16 = 224 matrices"
for f in $levels; do
    rm -rf "$tmp/out-$f"
    start=$(date +%s.%N)
    RMTK_TIMING=1 "$build/rmtk" analyze "$tmp/llm224.safetensors" --out "$tmp/out-$f" --quiet \
        --figures "$f" 2> "$tmp/timing.txt"
    end=$(date +%s.%N)
    html=$(stat -c %s "$tmp/out-$f/report.html")
    figs=$(du -sb "$tmp/out-$f/figures" | cut -f1)
    pages=$(du -sb "$tmp/out-$f/layers" | cut -f1)
    nfig=$(ls "$tmp/out-$f/figures" | wc -l)
    awk -v f="$f" -v h="$html" -v g="$figs" -v p="$pages" -v n="$nfig" -v s="$start" -v e="$end" \
        '/^rmtk: figures/ { fig = $3; htm = $6 } END {
        tot = e - s
        printf "--figures %-8s report.html %8.0f KB (%s 2 MB)  figures %8.0f KB (%d files)  layers/ %6.0f KB\n",
               f, h / 1000, h < 2e6 ? "<" : ">=", g / 1000, n, p / 1000
        printf "                    run %.1f s: figures %.2f s (%.1f %%), html %.2f s (%.1f %%)\n",
               tot, fig, 100 * fig / tot, htm, 100 * htm / tot }' "$tmp/timing.txt"
    if command -v chromium >/dev/null 2>&1; then
        s=$(date +%s.%N)
        timeout 120 chromium --headless --no-sandbox --disable-gpu \
            --user-data-dir="$tmp/profile" --dump-dom "file://$tmp/out-$f/report.html" \
            > /dev/null 2>&1 || echo "                    chromium: failed or timed out"
        e=$(date +%s.%N)
        awk -v s="$s" -v e="$e" 'BEGIN { printf "                    headless chromium: %.1f s\n", e - s }'
    fi
done
