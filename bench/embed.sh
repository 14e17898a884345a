#!/usr/bin/env bash
# Embedding throughput of papertide (candle) beside sentence-transformers (PyTorch) in one
# run: the same N abstracts (title + ". " + abstract of the first N papers of the 26,809-paper
# corpus), the same model files, the same thread count, the same batch size.
#
#   bench/embed.sh [N=512] [THREADS=nproc] [BATCH=32]
#
# Needs the model (`papertide model install`) and a venv with PyTorch + sentence-transformers
# (made in .venv on first use: pip install torch sentence-transformers, CPU wheels).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-512}
THREADS=${2:-$(nproc)}
BATCH=${3:-32}
export PAPERTIDE_MODEL_DIR=${PAPERTIDE_MODEL_DIR:-$PWD/models/all-MiniLM-L6-v2}
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sentence_transformers' 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install -q --index-url https://download.pytorch.org/whl/cpu torch ||
        .venv/bin/pip install -q torch
    .venv/bin/pip install -q sentence-transformers
fi
cargo build -q --release -p papertide_search --example embed_bench
vectors=$(mktemp)
trap 'rm -f "$vectors"' EXIT
echo "== papertide (candle), $THREADS threads"
RAYON_NUM_THREADS=$THREADS ./target/release/examples/embed_bench -n "$N" --batch-size "$BATCH" --save-vectors "$vectors" | tee /tmp/embed-candle.txt
echo "== sentence-transformers (PyTorch), $THREADS threads"
.venv/bin/python crates/papertide_search/scripts/bench_embed_st.py -n "$N" --batch-size "$BATCH" --threads "$THREADS" --compare "$vectors" | tee /tmp/embed-st.txt
candle=$(grep -o '[0-9.]* abstracts/s' /tmp/embed-candle.txt | head -1 | cut -d' ' -f1)
st=$(grep -o '[0-9.]* abstracts/s' /tmp/embed-st.txt | head -1 | cut -d' ' -f1)
python3 -c "print(f'ratio papertide / sentence-transformers: {$candle / $st:.2f}x ($candle vs $st abstracts/s)')"
