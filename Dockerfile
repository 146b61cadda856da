# owlet container image.
#
#   docker build -t owlet .                                  # CPU
#   docker build -t owlet:cuda --build-arg GPU=cuda .        # + ggml CUDA backend (run with --gpus all)
#   docker run -d -p 11435:11435 -v owlet-data:/data -e OWLET_API_KEY=secret owlet
#   docker run --rm -v owlet-data:/data owlet pull qwen2.5:0.5b
#
# The build stage runs scripts/setup.sh, the same script a developer runs, so the
# pinned llama.cpp (v0.5.0 from the node-llama-cpp npm tarball, sha512-checked) and
# the owlet build are made exactly one way. ggml is built with GGML_NATIVE for the
# build machine's CPU; for an image that runs on other CPUs pass e.g.
#   --build-arg OWLET_GGML_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
# (`owlet doctor` in the container says when the CPU lacks what ggml was built for).
# See docs/DEPLOY.md.

ARG GPU=cpu

# ------------------------------------------------------------------ build
FROM debian:bookworm AS build
ARG GPU
ARG OWLET_GGML_FLAGS=""
# GPU=cuda: the architectures to compile kernels for (there is no GPU to detect at build
# time). CUDA 11.8 knows up to sm_90 (Volta … Hopper).
ARG CUDA_ARCHITECTURES="70;75;80;86;89;90"
ENV DEBIAN_FRONTEND=noninteractive
# The CUDA variant needs nvcc and the CUDA libraries (Debian non-free, CUDA 11.8);
# setup.sh installs everything else it needs itself.
RUN if [ "$GPU" = cuda ]; then \
      sed -i 's/^Components: main$/Components: main contrib non-free non-free-firmware/' /etc/apt/sources.list.d/debian.sources && \
      apt-get update -qq && apt-get install -y -qq --no-install-recommends nvidia-cuda-toolkit >/dev/null; \
    elif [ "$GPU" = vulkan ]; then \
      apt-get update -qq && apt-get install -y -qq --no-install-recommends libvulkan-dev glslc >/dev/null; \
    fi
WORKDIR /src
# Only what the build reads (.dockerignore keeps build trees and caches out).
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY scripts/setup.sh scripts/setup.sh
COPY src/ src/
COPY web/ web/
COPY tests/ tests/
COPY bench/ bench/
# The llama.cpp cache lives in a BuildKit cache mount: rebuilding the image after a
# change to owlet does not rebuild llama.cpp (~20 min on 2 cores).
RUN --mount=type=cache,target=/root/.cache/owlet \
    OWLET_GPU="$([ "$GPU" = cpu ] || echo "$GPU")" \
    OWLET_GGML_FLAGS="$OWLET_GGML_FLAGS" OWLET_CUDA_ARCHITECTURES="$CUDA_ARCHITECTURES" \
    bash scripts/setup.sh && \
    strip --strip-debug build/owlet && cp build/owlet /usr/local/bin/owlet
# The Debian packages of the shared libraries owlet links (llama.cpp and ggml are
# static), found from the binary itself so the runtime list cannot go stale.
RUN ldd /usr/local/bin/owlet | awk '/=> \//{print $3}' | while read -r f; do \
      p="$(realpath "$f")"; dpkg -S "$p" 2>/dev/null || dpkg -S "${p#/usr}" 2>/dev/null || dpkg -S "/usr$p"; \
    done | cut -d: -f1 | sort -u > /usr/local/share/owlet-runtime-packages && \
    cat /usr/local/share/owlet-runtime-packages

# ------------------------------------------------------------------ runtime
FROM debian:bookworm-slim AS runtime
ARG GPU
ENV DEBIAN_FRONTEND=noninteractive
# Only the shared libraries the owlet binary links (the list the build stage made
# with ldd), curl for the health check, CA certificates for HTTPS sources.
COPY --from=build /usr/local/share/owlet-runtime-packages /usr/local/share/owlet-runtime-packages
RUN if [ "$GPU" = cuda ]; then \
      sed -i 's/^Components: main$/Components: main contrib non-free non-free-firmware/' /etc/apt/sources.list.d/debian.sources; \
    fi && \
    apt-get update -qq && \
    apt-get install -y -qq --no-install-recommends ca-certificates curl \
      $(cat /usr/local/share/owlet-runtime-packages) \
      $([ "$GPU" = vulkan ] && echo libvulkan1 mesa-vulkan-drivers) >/dev/null && \
    rm -rf /var/lib/apt/lists/* && \
    useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin owlet && \
    mkdir -p /data/models /data/knowledge /etc/owlet && chown -R owlet:owlet /data
COPY --from=build /usr/local/bin/owlet /usr/local/bin/owlet
# Every key at its default value: mount your own over it (-v ./config.yml:/etc/owlet/config.yml:ro).
COPY config.example.yml /etc/owlet/config.yml

# Everything owlet keeps lives under /data: pulled models (OWLET_MODELS), an
# Ollama store mounted read-only if wanted (OLLAMA_MODELS), and the knowledge base
# with its answer cache (OWLET_KNOWLEDGE_PATH). OWLET_<KEY> variables override
# /etc/owlet/config.yml, and flags override both.
ENV OWLET_CONFIG=/etc/owlet/config.yml \
    OWLET_HOST=0.0.0.0 \
    OWLET_PORT=11435 \
    OWLET_MODELS=/data/models \
    OLLAMA_MODELS=/data/ollama \
    OWLET_KNOWLEDGE_PATH=/data/knowledge \
    HOME=/data
VOLUME ["/data"]
EXPOSE 11435
USER owlet
WORKDIR /data
# /health answers 200 once the server listens and no model is loading.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${OWLET_PORT}/health" >/dev/null || exit 1
ENTRYPOINT ["/usr/local/bin/owlet"]
CMD ["serve"]
