#!/usr/bin/env bash
# Ingest and read benchmark of ecmr-gateway on this machine (loopback only, bounded in count and time).
#   scripts/bench-gateway.sh sqlite   [DOCS] [CONNECTIONS]
#   scripts/bench-gateway.sh postgres [DOCS] [CONNECTIONS]   (uses database ecmr_bench on 127.0.0.1:5432, recreated)
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
docs="${2:-20000}"
conns="${3:-64}"
port="${BENCH_PORT:-18089}"

cargo build --release -q -p ecmr-gateway --bins
dir="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT

export ECMR_DATA_DIR="$dir" ECMR_LISTEN="127.0.0.1:$port" ECMR_LOG=warn
case "$backend" in
  sqlite) unset ECMR_DATABASE_URL ;;
  postgres)
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS ecmr_bench" -c "CREATE DATABASE ecmr_bench"
    export ECMR_DATABASE_URL="postgres://postgres@127.0.0.1:5432/ecmr_bench" ;;
  *) echo "usage: $0 sqlite|postgres [DOCS] [CONNECTIONS]" >&2; exit 2 ;;
esac

target/release/ecmr-gateway serve 2>"$dir/serve.log" &
pid=$!
for _ in $(seq 100); do [ -s "$dir/admin-token" ] && break; sleep 0.1; done
echo "backend=$backend docs=$docs connections=$conns cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
target/release/ecmr-load --url "http://127.0.0.1:$port" --admin-token-file "$dir/admin-token" \
  --docs "$docs" --connections "$conns" --gets "$docs" --max-seconds 120
