#!/usr/bin/env bash
# Serving speed: wrk on loopback against a release build holding the 26,809 real papers, all
# auto-featured on their publication days. Prints req/s and latency percentiles for a busy
# feed day, the home page, a paper page and the search page (hybrid and keyword).
#
#   bench/serve.sh [DATA_DIR=/tmp/papertide-bench] [DURATION=15s] [CONNECTIONS=32]
#
# Reuses DATA_DIR when it already holds the papers (embed them first with `papertide embed`
# for semantic/hybrid numbers that include real vectors). Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-/tmp/papertide-bench}
DURATION=${2:-15s}
CONNS=${3:-32}
PORT=8093
cargo build -q --release -p papertide
bin=./target/release/papertide
if [ ! -f "$DATA/papertide.db" ]; then
    $bin --data-dir "$DATA" import ../shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz
fi
$bin --data-dir "$DATA" serve --addr "127.0.0.1:$PORT" --auto-feature cs &
server=$!
trap 'kill -INT $server 2>/dev/null; wait $server 2>/dev/null' EXIT
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 300); do
    if curl -sf "$base/papers/date/2026-06-02" 2>/dev/null | grep -q 'class="card"'; then break; fi
    sleep 1
done
paper=$(curl -s "$base/papers/date/2026-06-02" | grep -o 'href="/papers/[0-9][0-9.]*"' | head -1 | cut -d'"' -f2)
for path in "/papers/date/2026-06-02" "/" "$paper" "/search?q=graph+neural+networks+for+molecules" \
            "/search?q=graph+neural+networks+for+molecules&mode=keyword"; do
    echo "== $path"
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$base$path" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
done
