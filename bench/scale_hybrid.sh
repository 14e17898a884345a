#!/usr/bin/env bash
# All of arXiv on one machine, semantic side: N synthetic papers WITH vectors (default
# 2,700,000), resampled from a data directory of real embedded papers, then the search
# indexes built from the store with the vectors stored as ELEMENT (default int8), and keyword,
# semantic and hybrid latency on the result. Release build.
#
#   bench/scale_hybrid.sh REAL_DIR [N=2700000] [ELEMENT=int8]   # work dir $SCALE_DIR/hybrid-N
#
# REAL_DIR: `papertide import` + `papertide embed` of the 26,809 real cs papers, e.g.
#   papertide --data-dir /tmp/pt-real import --index ../shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz
#   PAPERTIDE_MODEL_DIR=models/all-MiniLM-L6-v2 papertide --data-dir /tmp/pt-real embed
# The corpus (`search_bench --synthesize`, documented in its header): each paper mixes the
# text of two random real papers, its vector is normalise(0.85 v_base + 0.25 v_donor +
# 0.02 g), ids local:syn-NNNNNNN. Written once; later runs reuse it (delete the directory's
# index/ to rebuild the indexes). Needs ~25 GB free at 2.7M (the database holds every vector
# in f32: about 650 MiB per 100k papers).
# Prints per step wall time and peak RSS (GNU time) and the sampled peak heap (RssAnon) and
# file-backed pages (RssFile), then search_bench's latency table, sizes and RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
real=${1:?usage: bench/scale_hybrid.sh REAL_DIR [N] [ELEMENT]}
n=${2:-2700000}
element=${3:-int8}
work=${SCALE_DIR:-/tmp/pt-scale}/hybrid-$n
cargo build --release -q -p papertide_search --example search_bench
bench=$PWD/target/release/examples/search_bench
export PAPERTIDE_MODEL_DIR=${PAPERTIDE_MODEL_DIR:-$PWD/models/all-MiniLM-L6-v2}

source bench/lib.sh # step LABEL COMMAND...

if [[ ! -e $work/papertide.db ]]; then
  step "synthesize $n papers with vectors" "$bench" --synthesize "$n" --from "$real" --data-dir "$work"
fi
# Opening the engine catches the indexes up with the store (timed by search_bench: the
# keyword index in bulk, then the vector index from the stored embeddings, 100k at a time),
# then the queries.
step "indexes + queries ($element vectors)" "$bench" --data-dir "$work" --vectors "$element"
