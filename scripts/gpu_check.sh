#!/usr/bin/env bash
# The GPU machine's check: owlet's engine built with OWLET_GPU=cuda, the tests
# that load a model run with every layer on the GPU, and the engine bench against
# llama.cpp's llama-bench on the same GPU.
#
#   bash scripts/gpu_bundle.sh          # here, with the package archive: fills .gpu/
#   bash scripts/gpu_check.sh [OUT]     # there, offline: builds, tests, benches
#
# The GPU machine reaches no package archive, so .gpu/ brings what the engine's
# build needs besides a CUDA toolkit and a compiler: the pinned llama.cpp source
# and Debian's packages of the engine's libraries. They are unpacked beside the
# system and only files the system lacks are copied in: nothing of its own is
# replaced. Each phase logs to OUT (default .gpu/out) and the summary says which
# passed; a phase that would not finish before OWLET_GPU_DEADLINE seconds is skipped.
set -uo pipefail
export HOME="${HOME:-/root}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-${OUT:-$ROOT/.gpu/out}}"
BUNDLE="$ROOT/.gpu"
DEADLINE="${OWLET_GPU_DEADLINE:-570}"
JOBS="${OWLET_JOBS:-$(nproc)}"
BUILD="$ROOT/build-gpu"
mkdir -p "$OUT"
T0=$(date +%s)
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"

elapsed() { echo $(( $(date +%s) - T0 )); }
note() { printf '[%4ss] %s\n' "$(elapsed)" "$*" | tee -a "$SUMMARY"; }
left() { echo $(( DEADLINE - $(elapsed) )); }

# ---------------------------------------------------------------- machine
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  command -v nvcc >/dev/null 2>&1 || export PATH="/usr/local/cuda/bin:$PATH"
  nvcc --version 2>&1 | tail -2
  g++ --version | head -1; cmake --version | head -1
  grep -m1 'model name' /proc/cpuinfo; nproc
  . /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"
} >"$OUT/machine.txt" 2>&1
command -v nvcc >/dev/null 2>&1 || export PATH="/usr/local/cuda/bin:$PATH"
note "machine: $(head -1 "$OUT/machine.txt")"

# ---------------------------------------------------------------- packages
SIDE=/opt/owlet-gpu-deps
if [ ! -f "$SIDE/.done" ]; then
  mkdir -p "$SIDE"
  for deb in "$BUNDLE"/debs/*.deb; do
    if command -v dpkg-deb >/dev/null 2>&1; then dpkg-deb -x "$deb" "$SIDE"
    else (t=$(mktemp -d) && cd "$t" && ar x "$deb" && tar -xf data.tar.* -C "$SIDE" && rm -rf "$t"); fi
  done
  # No clobber: where the system has its own copy of a file (a newer ICU, its
  # pkg-config), it stays and is the one used.
  cp -an "$SIDE/usr/." /usr/ 2>>"$OUT/build.log"
  ldconfig 2>/dev/null
  touch "$SIDE/.done"
fi
note "packages: $(ls "$BUNDLE"/debs/*.deb | wc -l) Debian packages unpacked beside the system"

# ---------------------------------------------------------------- llama.cpp source
SRC=/opt/owlet-llama-src
if [ ! -f "$SRC/include/llama.h" ]; then
  mkdir -p "$SRC"
  for t in llama-src llama-vocab; do
    tar -xJf "$BUNDLE/$t.tar.xz" -C "$SRC" 2>/dev/null \
      || python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$BUNDLE/$t.tar.xz" "$SRC" \
      || { note "FAIL: cannot unpack $t.tar.xz"; exit 1; }
  done
fi

# ---------------------------------------------------------------- build
note "build: setup.sh with OWLET_GPU=cuda, engine only, $JOBS jobs"
if OWLET_GPU=cuda OWLET_ENGINE_ONLY=1 OWLET_SKIP_PACKAGES=1 OWLET_LLAMA_DIR="$SRC" OWLET_JOBS="$JOBS" \
   OWLET_BUILD_DIR="$BUILD" bash "$ROOT/scripts/setup.sh" >"$OUT/build.log" 2>&1; then
  note "build: ok"
else
  cp "${XDG_CACHE_HOME:-$HOME/.cache}"/owlet/llama-*.log "$OUT/" 2>/dev/null
  note "FAIL: build (see build.log, llama-build.log)"
  exit 1
fi
LLAMA_BIN="$(readlink -f "${XDG_CACHE_HOME:-$HOME/.cache}/owlet/llama-current")/bin"

# ---------------------------------------------------------------- tests
if [ "$(left)" -gt 120 ]; then
  note "tests: the fixture models, then every engine test (layers on the GPU: -1, the default)"
  if (cd "$BUILD" && timeout $(( $(left) - 90 )) ctest -j 4 --output-on-failure >"$OUT/ctest.log" 2>&1); then
    note "tests: $(grep -E 'tests passed|tests failed' "$OUT/ctest.log")"
  else
    note "FAIL: tests: $(grep -E 'tests passed|tests failed' "$OUT/ctest.log" || echo 'timed out')"
  fi
else
  note "tests: skipped, $(left) s left"
fi

# ---------------------------------------------------------------- bench
MK="$BUILD/tests/fixtures/owlet-mkmodel"
BENCH="$BUILD/bench/owlet-bench-engine"
for spec in qwen2.5-0.5b:q4_0 qwen2.5-0.5b:q8_0 qwen2.5-1.5b:q4_0; do
  preset="${spec%%:*}"; type="${spec#*:}"
  if [ "$(left)" -lt 60 ]; then note "bench $preset $type: skipped, $(left) s left"; continue; fi
  model="/tmp/$preset-$type.gguf"
  [ -f "$model" ] || "$MK" --preset "$preset" --type "$type" --out "$model" >>"$OUT/bench.txt" 2>&1
  note "bench $preset $type"
  timeout $(( $(left) - 10 )) "$BENCH" --model "$model" --threads 8 --gpu-layers -1 --reps 5 \
    --llama-bench "$LLAMA_BIN/llama-bench" >"$OUT/bench-one.txt" 2>&1
  cat "$OUT/bench-one.txt" >>"$OUT/bench.txt"
  grep -E "tok/s|prefix reuse|memory|model:" "$OUT/bench-one.txt" | tee -a "$SUMMARY"
  rm -f "$OUT/bench-one.txt"
done
note "done"
