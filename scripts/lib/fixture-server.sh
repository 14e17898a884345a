# Sourced by scripts/e2e and scripts/api-conformance: builds the binary, imports a small real
# fixture from ../shared/data into a fresh temporary data directory and serves it on a free
# local port with the cs papers auto-featured on their listing days.
#
#   start_fixture_server LOG_FILE     # sets $url (http://127.0.0.1:PORT), $bin, $tmp
#
# PAPERTIDE_FIXTURE_ADDR=127.0.0.1:PORT serves on a chosen port (default: a free one).
#
# The fixture: the first 300 papers of the daily cs listings (two listing days of March 2026)
# and the 200 papers of the Kaggle snapshot head (2007, mostly physics and maths). The server
# is stopped and the data directory removed when the calling script exits.

data_root="${PAPERTIDE_SHARED_DATA:-../shared/data}"
daily="$data_root/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz"
kaggle="$data_root/arxiv/kaggle-oai-snapshot-head200.jsonl"

start_fixture_server() {
  local log="$1"
  for f in "$daily" "$kaggle"; do
    if [ ! -r "$f" ]; then
      echo "$0: $f (the real test data beside the repository) is missing" >&2
      exit 2
    fi
  done
  cargo build -q -p papertide
  bin="$PWD/target/debug/papertide"
  # The semantic model when scripts/test installed it; keyword search works without it.
  if [ -z "${PAPERTIDE_MODEL_DIR:-}" ] && [ -f models/all-MiniLM-L6-v2/model.safetensors ]; then
    export PAPERTIDE_MODEL_DIR="$PWD/models/all-MiniLM-L6-v2"
  fi
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/papertide-fixture.XXXXXX")"
  server_pid=""
  trap _stop_fixture_server EXIT
  trap 'exit 130' INT TERM

  xz -dc "$daily" 2>/dev/null | head -n 300 >"$tmp/daily-head300.jsonl" || true
  if [ "$(wc -l <"$tmp/daily-head300.jsonl")" -ne 300 ]; then
    echo "$0: could not read 300 records from $daily" >&2
    exit 1
  fi
  "$bin" --data-dir "$tmp/data" import "$tmp/daily-head300.jsonl" "$kaggle"

  # Port 0: the server picks a free port and says which.
  "$bin" --data-dir "$tmp/data" serve --addr "${PAPERTIDE_FIXTURE_ADDR:-127.0.0.1:0}" --auto-feature cs --log info >"$log" 2>&1 &
  server_pid=$!
  url=""
  for _ in $(seq 1 300); do
    url="$(grep -o 'listening on http://[0-9.:]*' "$log" | head -n 1 | sed 's/^listening on //' || true)"
    [ -n "$url" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "$0: the server exited; its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.2
  done
  if [ -z "$url" ]; then
    echo "$0: the server did not start within 60 s; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  python3 - "$url/healthz" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(sys.argv[0] + ": " + sys.argv[1] + " does not answer")
PY
}

_stop_fixture_server() {
  if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [ -n "${tmp:-}" ] && rm -rf "$tmp"
}
