#!/usr/bin/env bash
# Ingest and read benchmark of ecmr-gateway on this machine (loopback only, bounded in count and time).
#   scripts/bench-gateway.sh sqlite   [DOCS] [CONNECTIONS]
#   scripts/bench-gateway.sh postgres [DOCS] [CONNECTIONS]   (uses database ecmr_bench on 127.0.0.1:5432, recreated)
# Environment:
#   UILS=N         after the GETs, N eFTI UIL queries over READ_CONNECTIONS (default 32) connections, then as many
#                  plain GETs to a bare server (ecmr-hello) with the same client, for scale
#   ECMR_BIN_DIR   run the binaries there instead of building target/release (to compare two builds)
# After each phase it prints the gateway's own CPU time (user + system, from /proc/<pid>/stat) per request of that
# phase (per stored document for the ingest), sampled when ecmr-load says it starts submitting and at each report.
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
docs="${2:-20000}"
conns="${3:-64}"
port="${BENCH_PORT:-18089}"
hello_port="${HELLO_PORT:-18093}"
uils="${UILS:-0}"
read_conns="${READ_CONNECTIONS:-32}"

bin="${ECMR_BIN_DIR:-}"
if [ -z "$bin" ]; then
  cargo build --release -q -p ecmr-gateway --bins
  bin=target/release
fi
dir="$(mktemp -d)"
pid=""
hello=""
trap 'for p in $pid $hello; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT

export ECMR_DATA_DIR="$dir" ECMR_LISTEN="127.0.0.1:$port" ECMR_LOG=warn
case "$backend" in
  sqlite) unset ECMR_DATABASE_URL ;;
  postgres)
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS ecmr_bench" -c "CREATE DATABASE ecmr_bench"
    export ECMR_DATABASE_URL="postgres://postgres@127.0.0.1:5432/ecmr_bench" ;;
  *) echo "usage: $0 sqlite|postgres [DOCS] [CONNECTIONS]" >&2; exit 2 ;;
esac

"$bin/ecmr-gateway" serve 2>"$dir/serve.log" &
pid=$!
extra=()
if [ "$uils" -gt 0 ]; then
  "$bin/ecmr-hello" --listen "127.0.0.1:$hello_port" >/dev/null &
  hello=$!
  extra=(--uils "$uils" --read-connections "$read_conns" --hello-url "http://127.0.0.1:$hello_port/")
fi
for _ in $(seq 100); do [ -s "$dir/admin-token" ] && break; sleep 0.1; done
echo "backend=$backend docs=$docs connections=$conns cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"

# utime + stime of the gateway, in clock ticks (fields 14 and 15; the command name before them is in parentheses).
cpu_ticks() { sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}'; }
hz="$(getconf CLK_TCK)"
# After each phase ecmr-load reports, the gateway's CPU over it per successful request; the ingest starts when
# ecmr-load says it submits, each later phase when the one before it was reported.
"$bin/ecmr-load" --url "http://127.0.0.1:$port" --admin-token-file "$dir/admin-token" \
  --docs "$docs" --connections "$conns" --gets "$docs" --max-seconds 120 "${extra[@]}" |
  while IFS= read -r line; do
    case "$line" in
      signed*submitting*|submitting*) start=$(cpu_ticks) ;;
    esac
    printf '%s\n' "$line"
    case "$line" in
      "ingest POST"*|"read GET"*|"eFTI POST"*)
        now=$(cpu_ticks)
        n=${line#*: }; n=${n%% ok*}
        awk -v t="$((now - start))" -v hz="$hz" -v n="$n" -v what="${line%%:*}" 'BEGIN {
          printf "  gateway CPU over %s: %.2f s for %d = %.0f us each\n", what, t / hz, n, n ? t / hz / n * 1e6 : 0 }'
        start=$now ;;
      hello*) start=$(cpu_ticks) ;;
    esac
  done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
