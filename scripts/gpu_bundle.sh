#!/usr/bin/env bash
# Fills .gpu/ (ignored by git) with what scripts/gpu_check.sh needs on a GPU
# machine that reaches no package archive: the pinned llama.cpp source (setup.sh's
# cache; without .git, docs and all but the four tokenizer files the fixtures
# borrow) and Debian's packages of the engine's libraries. About 30 MB.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${OWLET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/owlet}"
SRC="${OWLET_LLAMA_DIR:-$(ls -d "$CACHE"/llama-*-src | head -1)}"
[ -f "$SRC/include/llama.h" ] || { echo "gpu_bundle: no llama.cpp source in $CACHE; run scripts/setup.sh first" >&2; exit 1; }
B="$ROOT/.gpu"
rm -rf "$B/debs" && mkdir -p "$B/debs"
tar -C "$SRC" --exclude=./.git --exclude=./docs --exclude=./media --exclude=./gguf-py \
    --exclude='./models/ggml-vocab-*' -cf - . | xz -T0 -6 >"$B/llama-src.tar.xz"
tar -C "$SRC" -cf - ./models/ggml-vocab-qwen2.gguf ./models/ggml-vocab-llama-bpe.gguf \
    ./models/ggml-vocab-deepseek-llm.gguf ./models/ggml-vocab-bert-bge.gguf | xz -T0 -6 >"$B/llama-vocab.tar.xz"
# The engine's libraries (src/common: ICU, xxHash), its tests' and bench's
# (GoogleTest, nlohmann-json, CLI11), and pkg-config for a machine without one.
(cd "$B/debs" && apt-get download -q libicu-dev libicu72 libxxhash-dev libxxhash0 nlohmann-json3-dev \
    libcli11-dev libgtest-dev libgmock-dev pkgconf pkgconf-bin libpkgconf3 pkg-config 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
du -sh "$B"
