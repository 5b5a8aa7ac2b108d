#!/usr/bin/env bash
# bench-mpi.sh: `mpirun -np N rmtk analyze` (docs/mpi.md) on a generated 40-matrix model of mixed
# sizes (60 x 40 .. 600 x 400, F32), over 1 (no mpirun), 2 and 4 ranks with --threads 1 per rank,
# oversubscribed beyond the cores: on a 2-core machine the figure shows the overhead, not a
# speed-up (rank 0 coordinates and sleeps while it waits; 2 ranks = 1 computing worker).
# Then the per-matrix message overhead: 400 vs 40 tiny matrices (12 x 16, --stats basic),
# single process and 2 ranks; (extra time of 360 matrices under MPI) / 360.
# Prints wall times (best of REPEAT, default 3) and ratios against the single-process run.
#   bench/bench-mpi.sh [BUILD_DIR]     (default build/; needs python3 with numpy, mpirun)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
RMTK=$(realpath "$BUILD/rmtk")
REPEAT=${REPEAT:-3}
PY=$(sh scripts/find-python)
command -v mpirun >/dev/null || { echo "bench-mpi: no mpirun (openmpi-bin)" >&2; exit 1; }
MPI=(mpirun --allow-run-as-root --oversubscribe)
export OMPI_MCA_btl_vader_single_copy_mechanism=none
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$PY" - "$T" <<'EOF'
import json, struct, sys
import numpy as np
d = sys.argv[1]
def write(path, tensors):
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        raw = a.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
rng = np.random.default_rng(1)
write(f"{d}/m40.safetensors", {f"l{i}": rng.standard_normal((60 + 14 * i, 40 + 9 * i))
                               for i in range(40)})
write(f"{d}/tiny40.safetensors", {f"t{i}": rng.standard_normal((12, 16)) for i in range(40)})
write(f"{d}/tiny400.safetensors", {f"t{i}": rng.standard_normal((12, 16)) for i in range(400)})
EOF

# best wall time of REPEAT runs, in seconds
best() {
    local b=""
    for _ in $(seq "$REPEAT"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || true
        t1=$(date +%s.%N)
        b=$(echo "$t0 $t1 ${b:-inf}" | awk '{d = $2 - $1; print (d < $3 ? d : $3)}')
    done
    echo "$b"
}

A=(analyze --threads 1 --no-plots --quiet)
echo "== 40 matrices (60x40 .. 606x391, --stats basic,mp,levels), --threads 1 per rank, $(nproc) cores"
t1=$(best "$RMTK" "${A[@]}" "$T/m40.safetensors" --out "$T/o1")
printf "  1 rank  (no mpirun)  %7.3f s  1.00\n" "$t1"
for n in 2 4; do
    tn=$(best "${MPI[@]}" -np "$n" "$RMTK" "${A[@]}" "$T/m40.safetensors" --out "$T/o$n")
    printf "  %d ranks (%d worker%s) %7.3f s  %.2f\n" "$n" $((n - 1)) "$([ $n -gt 2 ] && echo s || echo " ")" \
        "$tn" "$(echo "$tn $t1" | awk '{print $1 / $2}')"
done
cmp -s "$T/o1/summary.csv" "$T/o2/summary.csv" && cmp -s "$T/o1/summary.csv" "$T/o4/summary.csv" &&
    echo "  summary.csv identical over 1, 2, 4 ranks" || echo "  summary.csv DIFFERS"

echo "== per-matrix message overhead: 400 vs 40 tiny matrices (12x16, --stats basic)"
B=(analyze --threads 1 --no-plots --quiet --stats basic)
s40=$(best "$RMTK" "${B[@]}" "$T/tiny40.safetensors" --out "$T/s40")
s400=$(best "$RMTK" "${B[@]}" "$T/tiny400.safetensors" --out "$T/s400")
m40=$(best "${MPI[@]}" -np 2 "$RMTK" "${B[@]}" "$T/tiny40.safetensors" --out "$T/m40")
m400=$(best "${MPI[@]}" -np 2 "$RMTK" "${B[@]}" "$T/tiny400.safetensors" --out "$T/m400")
echo "$s40 $s400 $m40 $m400" | awk '{
    printf "  single: 40 %.3f s, 400 %.3f s (%.3f ms/matrix)\n", $1, $2, 1000 * ($2 - $1) / 360
    printf "  2 ranks: 40 %.3f s, 400 %.3f s (%.3f ms/matrix)\n", $3, $4, 1000 * ($4 - $3) / 360
    printf "  MPI overhead per matrix: %.3f ms; MPI start-up and setup: %.3f s\n",
           1000 * (($4 - $3) - ($2 - $1)) / 360, $3 - $1 }'
