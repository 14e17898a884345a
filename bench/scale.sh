#!/usr/bin/env bash
# All of arXiv on one machine, keyword side: a synthetic Kaggle snapshot of N records
# (default 2,700,000, about the size of arXiv), imported into an empty data directory, the
# keyword index built in bulk (`papertide import --index`), then keyword query latency on the result. Release build.
#
#   bench/scale.sh [N=2700000]        # work files in $SCALE_DIR (default /tmp/pt-scale)
#
# The corpus: bench/gen_kaggle.py resamples the 26,809 real cs papers of
# ../shared/data (titles, abstracts, authors, categories) into the Kaggle record shape with
# unique ids (YYMM.NNNNN from 2015-01 on) and 1-3 versions each; deterministic for a given N.
# Prints, per step, wall time and peak RSS (GNU time), then the sizes on disk and the
# latency table of examples/search_bench (140 queries, single client, warm).
# Needs ~20 GB free for N = 2.7M (input 5.7 GB, database ~6 GB, keyword index ~4 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2700000}
work=${SCALE_DIR:-/tmp/pt-scale}
data=${PAPERTIDE_SHARED_DATA:-../shared/data}
mkdir -p "$work"
cargo build --release -q -p papertide
cargo build --release -q -p papertide_search --example search_bench
bin=$PWD/target/release/papertide
input=$work/kaggle-$n.jsonl

# step LABEL COMMAND...: wall time and peak RSS (GNU time), peak RssAnon / RssFile sampled.
source bench/lib.sh

if [[ ! -s $input ]]; then
  step "generate $n records" python3 bench/gen_kaggle.py "$n" "$input.partial" \
    "$data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz"
  mv "$input.partial" "$input"
fi
echo "input: $(du -m "$input" | cut -f1) MiB, $(nproc) cores"
rm -rf "$work/data"
# One command from an empty data directory to a searchable one: the import (parsing on its
# own thread, 5,000 papers per transaction), then the keyword index in bulk (`--index`: the
# change feed 5,000 papers at a time into one tantivy writer with a 256 MiB heap, merged to
# one segment at the end).
step "import --index" "$bin" --data-dir "$work/data" import --index --json "$input" >"$work/import.json"
cat "$work/import.json"
echo
du -sm "$work/data"/papertide.db* "$work/data/index/keyword" | sed 's/^/MiB on disk: /'
PAPERTIDE_MODEL_DIR=${PAPERTIDE_MODEL_DIR:-$PWD/models/all-MiniLM-L6-v2} \
  step "keyword queries" ./target/release/examples/search_bench --data-dir "$work/data" --modes keyword
