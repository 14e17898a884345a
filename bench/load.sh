#!/usr/bin/env bash
# Load: mixed traffic (feed pages 60%, paper pages 25%, search 10%, upvotes through the API
# 5%; bench/mixed.lua) from wrk on loopback through nginx, against
#   sqlite  one `papertide serve` on SQLite,
#   pg1     one replica on PostgreSQL,
#   pg2     two replicas on the same PostgreSQL,
# each for DURATION, over the 26,809 real cs papers (all auto-featured on their days). Prints
# requests/s, p50, p99 and errors per setup (the run should have none), and keeps wrk's full
# output in target/load/.
#
#   bench/load.sh [DURATION=300s] [CONNECTIONS=32] [SETUPS="sqlite pg1 pg2"]
#
# Search runs in keyword mode (no model: the corpus is not embedded, and the background
# embedder would take the CPU from the measurement). PostgreSQL runs with its durable
# defaults (fsync, synchronous_commit). Everything shares one machine: on 2 cores a second
# replica adds no CPU, so pg2 measures the cost of the extra hop and coordination.
# Needs wrk, nginx and postgresql (apt-get install wrk nginx-light postgresql).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-300s}
CONNS=${2:-32}
SETUPS=${3:-"sqlite pg1 pg2"}
cargo build -q --release -p papertide
bin=$PWD/target/release/papertide
out=$PWD/target/load
mkdir -p "$out"
export PAPERTIDE_MODEL_DIR=/nonexistent
# Load from one client address: the per-client limits are not under test here.
export PAPERTIDE_WEB__API_PER_MINUTE=1000000000 PAPERTIDE_WEB__POSTS_PER_MINUTE=1000000000
export PAPERTIDE_WEB__TRUSTED_PROXIES='["127.0.0.1"]'

# shellcheck source=../scripts/lib/pg-server.sh
. scripts/lib/pg-server.sh
tmp="$(mktemp -d /tmp/papertide-load.XXXXXX)"
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  [ -f "$tmp/nginx/nginx.pid" ] && kill "$(cat "$tmp/nginx/nginx.pid")" 2>/dev/null && sleep 0.5 || true
}
cleanup() { stop_all; stop_test_postgres; rm -rf "$tmp"; }
trap cleanup EXIT

# The corpus in SQLite (also the source of the PostgreSQL copy), one user with a token.
$bin --data-dir "$tmp/sqlite" import ../shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz >/dev/null
PAPERTIDE_NEW_PASSWORD='load-password-1' $bin --data-dir "$tmp/sqlite" user create loader >/dev/null
token="$($bin --data-dir "$tmp/sqlite" token create --user loader --name load --scope write)"

# The request mix, seeded: feed pages (busy days, weeks, months, page 2), paper pages,
# distinct keyword searches (3-6 title words), upvotes and un-upvotes.
python3 - "$tmp/mix.txt" <<'PY'
import json, lzma, random, sys, urllib.parse
rng = random.Random(7)
papers = [json.loads(l) for l in lzma.open("../shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz", "rt")]
days = sorted({p["published"][:10] for p in papers if p.get("published")})
feeds = ["/"] + ["/papers/date/%s" % d for d in days[-40:]] + ["/papers/month/2026-05", "/papers/month/2026-06"]
feeds += ["/papers/date/%s?page=2" % d for d in days[-10:]]
lines = []
for _ in range(20000):
    r = rng.random()
    p = rng.choice(papers)
    if r < 0.60:
        lines.append("GET " + rng.choice(feeds))
    elif r < 0.85:
        lines.append("GET /papers/" + p["id"])
    elif r < 0.95:
        words = p["title"].split()[: rng.randint(3, 6)]
        lines.append("GET /search?" + urllib.parse.urlencode({"q": " ".join(words), "mode": "keyword"}))
    else:
        lines.append(rng.choice(["PUT", "DELETE"]) + " /api/v1/papers/%s/upvote" % p["id"])
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY

serve() { # name data_dir port [database_url]
  local name="$1" dir="$2" port="$3"
  PAPERTIDE_DATABASE_URL="${4:-}" $bin --data-dir "$dir" serve --addr "127.0.0.1:$port" --auto-feature cs >"$tmp/$name.log" 2>&1 &
  pids+=($!)
}
wait_for() {
  for _ in $(seq 1 600); do
    curl -sf "$1/papers/date/2026-06-02" 2>/dev/null | grep -q 'class="card"' && return 0
    sleep 0.5
  done
  echo "bench/load.sh: $1 did not come up" >&2; exit 1
}
balance() { # ports...
  mkdir -p "$tmp/nginx"
  local servers=""
  for p in "$@"; do servers="$servers server 127.0.0.1:$p;"; done
  sed -e "s|@LISTEN@|127.0.0.1:$lb|" -e "s|@REPLICAS@|$servers|" -e "s|@PID@|$tmp/nginx/nginx.pid|" \
      -e "s|@TEMP@|$tmp/nginx|g" deploy/nginx/papertide.conf >"$tmp/nginx/nginx.conf"
  "$(command -v nginx || echo /usr/sbin/nginx)" -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx"
}
run() { # setup
  local log="$out/$1.txt"
  # A short warm-up (caches, connection pools), then the measurement.
  MIX="$tmp/mix.txt" TOKEN="$token" wrk -t2 -c"$CONNS" -d10s -s bench/mixed.lua "http://127.0.0.1:$lb" >/dev/null
  MIX="$tmp/mix.txt" TOKEN="$token" wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/mixed.lua "http://127.0.0.1:$lb" | tee "$log" >/dev/null
  echo "$1 $(grep '^MIXED' "$log")"
}

lb="$(free_port)"
for setup in $SETUPS; do
  case "$setup" in
    sqlite)
      a="$(free_port)"; serve sqlite-a "$tmp/sqlite" "$a"; wait_for "http://127.0.0.1:$a"; balance "$a"; run sqlite ;;
    pg1|pg2)
      if [ -z "${PG_TEST_DIR:-}" ]; then
        PG_TEST_DURABLE=1 start_test_postgres >/dev/null
        trap cleanup EXIT
        "$PG_TEST_BIN/psql" -q -h 127.0.0.1 -p "$PG_TEST_PORT" -U papertide -d postgres -c "CREATE DATABASE load"
        db="postgres://papertide@127.0.0.1:$PG_TEST_PORT/load"
        $bin --data-dir "$tmp/sqlite" migrate sqlite-to-postgres --to "$db" >/dev/null
      fi
      a="$(free_port)"; serve pg-a "$tmp/pg-a" "$a" "$db"; wait_for "http://127.0.0.1:$a"
      if [ "$setup" = pg2 ]; then
        b="$(free_port)"; serve pg-b "$tmp/pg-b" "$b" "$db"; wait_for "http://127.0.0.1:$b"; balance "$a" "$b"
      else
        balance "$a"
      fi
      run "$setup" ;;
    *) echo "bench/load.sh: unknown setup $setup" >&2; exit 2 ;;
  esac
  stop_all
done
