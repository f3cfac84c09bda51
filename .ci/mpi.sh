#!/usr/bin/env bash
# Installs what the `mpi` feature needs (Debian's OpenMPI and libclang, for rsmpi's
# bindgen), if mpirun is missing. Called by .ci/run before building with --all-features.
set -euo pipefail
if ! command -v mpirun >/dev/null 2>&1 || ! command -v mpicc >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq libopenmpi-dev openmpi-bin libclang-dev >/dev/null
fi
echo "mpirun: $(command -v mpirun) ($(mpirun --version 2>/dev/null | head -1))"
