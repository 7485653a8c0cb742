#!/usr/bin/env bash
# eFTI reads (UIL query, identifier search) with DOCS consignments stored, beside a bare hyper server, same client.
#   scripts/bench-efti-1m.sh sqlite   [DOCS] [READS] [HELLOS]
#   scripts/bench-efti-1m.sh postgres [DOCS] [READS] [HELLOS]   (database ecmr_bench_1m on 127.0.0.1:5432, recreated, dropped)
# Loopback only. The data directory is temporary and removed at the end (1,000,000 documents need several GB).
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
docs="${2:-1000000}"
reads="${3:-5000}"
hellos="${4:-100000}"
port="${BENCH_PORT:-18091}"
hello_port="${HELLO_PORT:-18092}"

cargo build --release -q -p ecmr-gateway --bins
dir="$(mktemp -d "${BENCH_DIR:-/tmp}/ecmr-1m.XXXXXX")"
cleanup() {
  kill "$pid" "$hpid" 2>/dev/null || true
  wait "$pid" "$hpid" 2>/dev/null || true
  rm -rf "$dir"
  if [ "$backend" = postgres ]; then psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS ecmr_bench_1m"; fi
}
trap cleanup EXIT

export ECMR_DATA_DIR="$dir" ECMR_LISTEN="127.0.0.1:$port" ECMR_LOG=warn
case "$backend" in
  sqlite) unset ECMR_DATABASE_URL ;;
  postgres)
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS ecmr_bench_1m" -c "CREATE DATABASE ecmr_bench_1m"
    export ECMR_DATABASE_URL="postgres://postgres@127.0.0.1:5432/ecmr_bench_1m" ;;
  *) echo "usage: $0 sqlite|postgres [DOCS] [READS] [HELLOS]" >&2; exit 2 ;;
esac

target/release/ecmr-hello --listen "127.0.0.1:$hello_port" >/dev/null &
hpid=$!
target/release/ecmr-gateway serve 2>"$dir/serve.log" &
pid=$!
for _ in $(seq 100); do [ -s "$dir/admin-token" ] && break; sleep 0.1; done
echo "backend=$backend docs=$docs reads=$reads cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
target/release/ecmr-load --url "http://127.0.0.1:$port" --admin-token-file "$dir/admin-token" \
  --docs "$docs" --connections 64 --sign-inline --max-seconds 1800 \
  --uils "$reads" --searches "$reads" --read-connections 1,8,32 --hello-url "http://127.0.0.1:$hello_port/" --hellos "$hellos"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
du -sh "$dir"
if [ "$backend" = postgres ]; then
  psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT pg_size_pretty(pg_database_size('ecmr_bench_1m'))"
fi
