#!/usr/bin/env bash
# Build the demo site with narration: installs what a fresh machine lacks, then `nikola build`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install
cd examples/demo-site
../../.venv/bin/nikola build
echo
echo "Narrated demo site: $(pwd)/output  (look at it with: cd $(pwd) && ../../.venv/bin/python -m nikola_tts.preview)"
ls -1 output/*_tts.mp3 output/*/*_tts.mp3 2>/dev/null | sed 's/^/  audio: /'
