#!/usr/bin/env bash
# Serving speed: wrk on loopback against a release build holding the 26,809 real papers, all
# auto-featured on their publication days. Prints req/s and latency percentiles for a busy
# feed day, the home page, a paper page and the search page (hybrid and keyword), each
# repeated (as a popular link is: served from the caches), then uncached: 3,000 different
# paper pages, and search pages where every request is a different query (3 to 6 title
# words of a random paper; bench/distinct-paths.lua), so each one embeds its query and
# searches both indexes.
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
export PAPERTIDE_MODEL_DIR=${PAPERTIDE_MODEL_DIR:-$PWD/models/all-MiniLM-L6-v2}
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

# Distinct paths: paper pages and queries drawn from the corpus (seeded, reproducible).
python3 - "$DATA" <<'PY'
import json, lzma, random, sys, urllib.parse
rng = random.Random(7)
papers = [json.loads(l) for l in lzma.open("../shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz", "rt")]
rng.shuffle(papers)
with open(sys.argv[1] + "/bench-papers.txt", "w") as f:
    for p in papers[:3000]:
        f.write("/papers/%s\n" % p["id"])
for mode in ["hybrid", "keyword"]:
    with open(sys.argv[1] + "/bench-queries-%s.txt" % mode, "w") as f:
        for p in papers[3000:23000]:
            words = p["title"].split()[: rng.randint(3, 6)]
            f.write("/search?" + urllib.parse.urlencode({"q": " ".join(words), "mode": mode}) + "\n")
PY
for list in bench-papers bench-queries-hybrid bench-queries-keyword; do
    echo "== distinct: $list"
    PATHS="$DATA/$list.txt" wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/distinct-paths.lua "$base" \
        | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
done
