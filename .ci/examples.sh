#!/usr/bin/env bash
# Runs every example at a small size, so none can rot: each must exit 0 (and print what it
# prints). The MPI examples run under `mpirun -n 2` when built with the `mpi` feature.
# Usage: .ci/examples.sh [--all-features]
set -euo pipefail
cd "$(dirname "$0")/.."
features=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {
  local name=$1
  shift
  echo "-- example $name $*"
  cargo run --release -q $features --example "$name" -- "$@" > "$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
  head -c 600 "$tmp/out"; echo
}

# Every example built first, by one cargo invocation that compiles them in parallel; each
# `run` below then only starts its binary (it was one sequential build per example).
# shellcheck disable=SC2086
cargo build --release -q $features --examples

run pi --n 1000000
run distance_matrix --n 300
run particles --n 2000 --steps 5 --every 5
run profile --n 200 --trace "$tmp/trace.json"
run report --rows 800 --out "$tmp/report.html"
grep -q "Task stream" "$tmp/report.html"
run plan_dot before
run plan_dot after
run plan_dot tasks
run plan_dot tasks --svg
run raw_graph
run wordcount --lines 20000
# Word count from files: a small text file and a gzip copy, read in 10 kB blocks.
for i in $(seq 1 3000); do echo "the quick brown fox $i jumps over the lazy dog"; done > "$tmp/words.txt"
gzip -c "$tmp/words.txt" > "$tmp/words2.txt.gz"
run wordcount "$tmp/words.txt" "$tmp/words2.txt.gz" --blocksize 10000
grep -q "^60000 words" "$tmp/out"
run matmul --n 256 --chunk 64 --threads 2
run stencil --n 120 --chunk 35 --steps 3
for w in poly pi dist; do
  run workloads "$w" --n 20000 --chunk 2000
done
run workloads distmat --n 300 --chunk 100
run workloads meanstd --n 200 --chunk 50
run workloads anomaly --n 200 --chunk 50
run workloads wordcount --n 20000
run workloads wordcount_files --n 20000 --chunk 100000
run workloads wordcount_files --n 20000 --hand-written
run workloads matmul --n 256 --chunk 64
run workloads matmul --n 256 --chunk 64 --hand-written
if [ "$features" = "--all-features" ]; then
  for ex in "mpi_pi --n 1000000" "mpi_wordcount --lines 20000"; do
    echo "-- example (mpirun -n 2) $ex"
    timeout 120 mpirun -n 2 --oversubscribe --bind-to none --allow-run-as-root \
      target/release/examples/$ex > "$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
    head -c 600 "$tmp/out"; echo
  done
fi
echo "examples: all ran"
