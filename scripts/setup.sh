#!/usr/bin/env bash
# owlet setup: system packages, the pinned llama.cpp build (cached outside the
# checkout), then owlet itself. Idempotent: a second run with a warm cache only
# re-checks and rebuilds what changed.
#
#   bash scripts/setup.sh            # everything
#   OWLET_LLAMA_DIR=/path/to/llama.cpp bash scripts/setup.sh   # use an existing source tree
#   OWLET_SANITIZE=ON bash scripts/setup.sh                   # ASan+UBSan build in build-asan/
#   OWLET_GPU=cuda bash scripts/setup.sh                      # ggml with a GPU backend: cuda | vulkan | hip
#                                                             # (needs that toolkit installed; own cache key;
#                                                             # OWLET_CUDA_ARCHITECTURES, default: this machine's GPU)
#   OWLET_ENGINE_ONLY=1 bash scripts/setup.sh                 # only the engine, its tests and bench (scripts/gpu_check.sh)
#   OWLET_SKIP_PACKAGES=1 bash scripts/setup.sh               # no apt: the packages were provided otherwise
set -euo pipefail

LLAMA_VERSION="v0.5.0"
NLC_PACKAGE="node-llama-cpp@3.22.1"
# sha512 of node-llama-cpp-3.22.1.tgz as published on the npm registry (its "integrity" field).
NLC_SHA512="6e5b488a9b9699cd76dc7eed30880318a4ac4ab866865418795502e3c5d38d55bb5c624988927209d95333343f2e25a83e4183a5c2f816f883a60c3ba9f4e20f"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${OWLET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/owlet}"
JOBS="${OWLET_JOBS:-$(nproc)}"
SANITIZE="${OWLET_SANITIZE:-OFF}"
ENGINE_ONLY="${OWLET_ENGINE_ONLY:-0}"
if [ "$SANITIZE" = ON ]; then BUILD_DIR="${OWLET_BUILD_DIR:-$ROOT/build-asan}"; else BUILD_DIR="${OWLET_BUILD_DIR:-$ROOT/build}"; fi

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die()  { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# ---------------------------------------------------------------- packages
PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  tmux  # the interactive `owlet run` test drives it (tests/app/test_run_cli.cpp)
  libcurl4-openssl-dev libsqlite3-dev sqlite3 libzstd-dev libhnswlib-dev libgumbo-dev
  nlohmann-json3-dev libcpp-httplib-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev libicu-dev libre2-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  openssl nghttp2-server python3.11-doc clang libclang-rt-14-dev
  chromium  # the web UI's browser test drives it (playwright-core, below)
  libhiredis-dev redis-server nginx  # cluster_redis (src/cluster); the cluster tests start their own redis-server and nginx
)
step "1/5 system packages"
missing=()
if [ "${OWLET_SKIP_PACKAGES:-0}" = 1 ]; then PACKAGES=(); info "skipped (OWLET_SKIP_PACKAGES=1)"; fi
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from another source (nodesource bundles npm): only install Debian's when absent.
if [ ${#PACKAGES[@]} -gt 0 ]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  info "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif [ ${#PACKAGES[@]} -gt 0 ]; then
  info "all ${#PACKAGES[@]} packages present"
fi

# ---------------------------------------------------------------- llama.cpp source
step "2/5 llama.cpp $LLAMA_VERSION source"
mkdir -p "$CACHE"
if [ -n "${OWLET_LLAMA_DIR:-}" ]; then
  [ -f "$OWLET_LLAMA_DIR/include/llama.h" ] || die "OWLET_LLAMA_DIR=$OWLET_LLAMA_DIR has no include/llama.h"
  LLAMA_SRC="$(cd "$OWLET_LLAMA_DIR" && pwd)"
  info "using existing tree $LLAMA_SRC"
else
  LLAMA_SRC="$CACHE/llama-$LLAMA_VERSION-src"
  if [ -f "$LLAMA_SRC/.owlet-ok" ]; then
    info "cached at $LLAMA_SRC"
  else
    dl="$CACHE/dl"; mkdir -p "$dl"
    tgz="$dl/node-llama-cpp-3.22.1.tgz"
    if [ ! -f "$tgz" ] || ! echo "$NLC_SHA512  $tgz" | sha512sum -c --status; then
      info "fetching $NLC_PACKAGE from the npm registry"
      rm -f "$tgz"
      (cd "$dl" && npm pack --silent "$NLC_PACKAGE" >/dev/null)
    fi
    echo "$NLC_SHA512  $tgz" | sha512sum -c --status || die "sha512 mismatch for $tgz (expected $NLC_SHA512)"
    info "sha512 verified"
    tmp="$(mktemp -d)"
    tar -xzf "$tgz" -C "$tmp" package/llama/gitRelease.bundle
    rm -rf "$LLAMA_SRC"
    git clone -q "$tmp/package/llama/gitRelease.bundle" "$LLAMA_SRC" 2>/dev/null
    rm -rf "$tmp"
    [ -f "$LLAMA_SRC/include/llama.h" ] || die "bundle clone has no include/llama.h"
    touch "$LLAMA_SRC/.owlet-ok"
    info "cloned into $LLAMA_SRC"
  fi
fi

# ---------------------------------------------------------------- llama.cpp build
# OWLET_GPU adds one ggml GPU backend. Unset, the flags (and so the cache key) are
# exactly the CPU build's; set, the key differs, so CPU and GPU builds live side by side.
case "${OWLET_GPU:-}" in
  "" | cpu) GPU_FLAGS="" ;;
  # Without GGML_NATIVE (see AMX below) ggml would build for a list of old GPUs
  # that current toolkits refuse: build for this machine's by default. NCCL (for
  # splitting over several GPUs) off: owlet links ggml statically and would not
  # carry it.
  cuda)     GPU_FLAGS="-DGGML_CUDA=ON -DGGML_CUDA_NCCL=OFF -DCMAKE_CUDA_ARCHITECTURES=${OWLET_CUDA_ARCHITECTURES:-native}" ;;
  vulkan)   GPU_FLAGS="-DGGML_VULKAN=ON" ;;
  hip)      GPU_FLAGS="-DGGML_HIP=ON" ;;
  *)        die "OWLET_GPU=$OWLET_GPU: expected cuda, vulkan, hip or cpu" ;;
esac
# A compiler cache where one is installed (not part of the cache key: it changes no output).
LAUNCHER=()
if command -v ccache >/dev/null 2>&1; then LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
# The CPU's instruction sets: -march=native, except where /proc/cpuinfo lists AMX.
# There ggml compiles in its AMX matmul kernels, and on VMs that advertise AMX
# (this project's CI machines among them) they die with SIGILL on the first Q4_0,
# Q8_0 or K-quant matmul — llama-bench itself does. So on such a CPU every other
# x86 feature it lists is named one by one, without AMX (OWLET_AMX=1: native).
CPU_FLAGS=(-DGGML_NATIVE=ON)
CPU_FLAG_LIST=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2 || true) "
cpu_has() { [[ "$CPU_FLAG_LIST" == *" $1 "* ]]; }  # no pipeline: pipefail and an early grep exit would race
if [ "$(uname -m)" = x86_64 ] && cpu_has amx_int8 && [ "${OWLET_AMX:-0}" != 1 ]; then
  CPU_FLAGS=(-DGGML_NATIVE=OFF)
  for pair in sse4_2:SSE42 f16c:F16C fma:FMA bmi2:BMI2 avx:AVX avx2:AVX2 avx_vnni:AVX_VNNI \
              avx512vbmi:AVX512_VBMI avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16; do
    if cpu_has "${pair%%:*}"; then CPU_FLAGS+=("-DGGML_${pair#*:}=ON"); else CPU_FLAGS+=("-DGGML_${pair#*:}=OFF"); fi
  done
  avx512=ON
  for f in avx512f avx512cd avx512vl avx512dq avx512bw; do cpu_has "$f" || avx512=OFF; done
  CPU_FLAGS+=("-DGGML_AVX512=$avx512" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
fi
LLAMA_FLAGS=(
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  "${CPU_FLAGS[@]}" -DGGML_OPENMP=ON -DGGML_RPC=ON ${GPU_FLAGS} ${OWLET_GGML_FLAGS:-}
  -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF
)
# ggml-rpc-server: llama.cpp's RPC backend server, for models split over machines (rpc_servers).
LLAMA_TARGETS=(llama ggml llama-common llama-bench llama-server llama-quantize ggml-rpc-server)
LLAMA_STAMP=.owlet-ok
if [ "$ENGINE_ONLY" = 1 ]; then LLAMA_TARGETS=(llama ggml llama-common llama-bench); LLAMA_STAMP=.owlet-ok-engine; fi
flags_hash="$( (echo "$LLAMA_SRC"; printf '%s\n' "${LLAMA_FLAGS[@]}"; grep -m1 'model name' /proc/cpuinfo || true) | sha256sum | cut -c1-12)"
LLAMA_BUILD="$CACHE/llama-$LLAMA_VERSION-$flags_hash"
step "3/5 llama.cpp build ($LLAMA_BUILD)"
if [ -f "$LLAMA_BUILD/.owlet-ok" ] || [ -f "$LLAMA_BUILD/$LLAMA_STAMP" ]; then
  info "cached (delete $LLAMA_BUILD to rebuild)"
else
  info "configuring (no downloads: prebuilt UI off, tests/examples off)"
  cmake -S "$LLAMA_SRC" -B "$LLAMA_BUILD" -G Ninja "${LLAMA_FLAGS[@]}" "${LAUNCHER[@]}" >"$CACHE/llama-configure.log" 2>&1 \
    || { tail -30 "$CACHE/llama-configure.log"; die "llama.cpp configure failed (log: $CACHE/llama-configure.log)"; }
  info "building ${LLAMA_TARGETS[*]} with $JOBS jobs (first time: ~15-25 min on 2 cores)"
  start=$(date +%s)
  cmake --build "$LLAMA_BUILD" -j "$JOBS" --target "${LLAMA_TARGETS[@]}" >"$CACHE/llama-build.log" 2>&1 \
    || { tail -30 "$CACHE/llama-build.log"; die "llama.cpp build failed (log: $CACHE/llama-build.log)"; }
  touch "$LLAMA_BUILD/$LLAMA_STAMP"
  info "built in $(( $(date +%s) - start ))s"
fi
ln -sfn "$LLAMA_BUILD" "$CACHE/llama-current"

# ---------------------------------------------------------------- npm test clients
# The real Ollama and OpenAI client libraries the integration tests drive owlet with, and
# playwright-core for the web UI test. playwright-core downloads no browser; it drives Debian's
# chromium, so its pin follows bookworm's chromium (1.64.x was built against Chromium 156).
NPM_DIR="$CACHE/npm-clients"
NPM_PACKAGES=(ollama@0.6.4 openai@5.23.2 playwright-core@1.64.1)
step "4/5 npm test clients ($NPM_DIR)"
npm_stamp="$NPM_DIR/.owlet-$(printf '%s ' "${NPM_PACKAGES[@]}" | sha256sum | cut -c1-12)"
if [ "$ENGINE_ONLY" = 1 ]; then
  info "skipped (engine only)"
elif [ -f "$npm_stamp" ]; then
  info "cached: ${NPM_PACKAGES[*]}"
else
  mkdir -p "$NPM_DIR"
  [ -f "$NPM_DIR/package.json" ] || echo '{"name":"owlet-test-clients","private":true}' > "$NPM_DIR/package.json"
  if (cd "$NPM_DIR" && npm install --silent --no-audit --no-fund "${NPM_PACKAGES[@]}" >/dev/null 2>&1); then
    touch "$npm_stamp"
    info "installed ${NPM_PACKAGES[*]}"
  else
    info "npm install failed: the client integration tests will be skipped"
  fi
fi

# ---------------------------------------------------------------- owlet
step "5/5 owlet ($BUILD_DIR)"
# A compiler cache when the machine has one (several checkouts of the tree share it).
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${LAUNCHER[@]}" \
  -DOWLET_LLAMA_SRC="$LLAMA_SRC" -DOWLET_LLAMA_BUILD="$LLAMA_BUILD" -DOWLET_SANITIZE="$SANITIZE" \
  -DOWLET_NPM_DIR="$NPM_DIR" -DOWLET_ENGINE_ONLY="$([ "$ENGINE_ONLY" = 1 ] && echo ON || echo OFF)" \
  -DOWLET_BUILD_BENCH="$([ "$SANITIZE" = ON ] && echo OFF || echo ON)" >/dev/null \
  || die "owlet configure failed"
cmake --build "$BUILD_DIR" -j "$JOBS" || die "owlet build failed"
info "done: $BUILD_DIR/owlet"
