#!/usr/bin/env bash
# Import throughput benchmark (release build): the 26,809 real daily-listing papers, then a
# synthetic Kaggle-shaped file of N records (default 270,000 = 10% of the full snapshot) to
# show memory stays flat and to extrapolate to 2.7M records. Prints records/s and peak RSS
# (from the import's own --json summary). usage: bench/import.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-270000}
data=${PAPERTIDE_SHARED_DATA:-../shared/data}
cargo build --release -q -p papertide
bin=target/release/papertide
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # label, files...
  local label=$1; shift
  rm -rf "$work/data"
  "$bin" --data-dir "$work/data" import --json "$@" > "$work/out.json"
  python3 - "$label" "$work/out.json" "$work/data" <<'PY'
import json, os, sys
label, out, data = sys.argv[1:]
s = json.load(open(out))
size = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data))
print(f"{label:<34} {s['records']:>9} records {s['seconds']:>7.2f} s {s['records_per_second']:>9.0f} rec/s"
      f"  peak RSS {s['peak_rss_bytes']/2**20:>6.1f} MiB  db {size/2**20:>7.1f} MiB")
PY
}

echo "cores: $(nproc)"
run "daily listing (26,809, .jsonl.xz)" "$data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz"
python3 bench/gen_kaggle.py 27000 "$work/k27k.jsonl" "$data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz"
run "synthetic kaggle (27,000)" "$work/k27k.jsonl"
python3 bench/gen_kaggle.py "$n" "$work/kbig.jsonl" "$data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz"
run "synthetic kaggle ($n)" "$work/kbig.jsonl"
echo "input size of the $n-record file: $(du -m "$work/kbig.jsonl" | cut -f1) MiB"
