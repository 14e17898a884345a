#!/usr/bin/env bash
# Digest throughput: N digests (default 10,000) built from the store and sent over SMTP to a
# sink on loopback (aiosmtpd, pinned, from PyPI, in target/smtp-venv). Release build.
#
#   bench/digest.sh [N] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
concurrency="${2:-8}"
# shellcheck source=../scripts/lib/smtp-server.sh
. scripts/lib/smtp-server.sh
setup_smtp_test_python
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$PAPERTIDE_TEST_SMTP_PYTHON" -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Sink &
smtp=$!
trap 'kill $smtp 2>/dev/null || true' EXIT
cargo build -q --release -p papertide_mail --example digest_bench
for _ in $(seq 1 50); do
  python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
  sleep 0.1
done
./target/release/examples/digest_bench --subscribers "$n" --smtp-port "$port" --concurrency "$concurrency"
