#!/usr/bin/env bash
# Identifier searches across a federation of three gates on this machine (loopback only, bounded):
#   scripts/bench-federation.sh [DOCS] [SEARCHES] [READ_CONNECTIONS]
# gate-be holds DOCS documents and is asked; gate-nl and gate-lu are the two remote gates (empty stores: they search
# and answer nothing found). ecmr-load then measures, in the same run and at each connection count, the search of
# gate-be alone (eftiGateIndicator = BE, answered COMPLETE at once) and the search of every gate, from the POST
# until the answer is no longer PENDING (the GET polled every millisecond).
# Environment: ECMR_BIN_DIR runs the binaries there instead of building target/release.
set -euo pipefail
cd "$(dirname "$0")/.."
docs="${1:-2000}"
searches="${2:-2000}"
read_conns="${3:-1,16}"
bin="${ECMR_BIN_DIR:-}"
if [ -z "$bin" ]; then
  cargo build --release -q -p ecmr-gateway --bins
  bin=target/release
fi
dir="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT

gates=(gate-be:BE:18441 gate-nl:NL:18442 gate-lu:LU:18443)
: > "$dir/gates.toml"
for g in "${gates[@]}"; do
  IFS=: read -r id country port <<<"$g"
  mkdir -p "$dir/$id"
  # The gate's key, made now so that the registry can list it.
  key=$(ECMR_DATA_DIR="$dir/$id" ECMR_GATE_ID="$id" ECMR_LOG=warn "$bin/ecmr-gateway" key show |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["gateway_keys"][0]["public_key"])')
  printf '[[gates]]\nid = "%s"\ncountry = "%s"\nbase_url = "http://127.0.0.1:%s"\nsubsets = ["identifier", "EU01"]\n[[gates.keys]]\npublic_key = "%s"\n\n' \
    "$id" "$country" "$port" "$key" >> "$dir/gates.toml"
done
for g in "${gates[@]}"; do
  IFS=: read -r id country port <<<"$g"
  ECMR_DATA_DIR="$dir/$id" ECMR_LISTEN="127.0.0.1:$port" ECMR_GATE_ID="$id" ECMR_PLATFORM_ID="ecmr-${country,,}" \
    ECMR_FEDERATION_REGISTRY="$dir/gates.toml" ECMR_LOG=warn "$bin/ecmr-gateway" serve 2>"$dir/$id.log" &
  pids+=($!)
done
for id in gate-be gate-nl gate-lu; do
  for _ in $(seq 100); do [ -s "$dir/$id/admin-token" ] && break; sleep 0.1; done
done
echo "docs=$docs searches=$searches read_connections=$read_conns cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
"$bin/ecmr-load" --url http://127.0.0.1:18441 --admin-token-file "$dir/gate-be/admin-token" \
  --gate-id gate-be --platform-id ecmr-be --docs "$docs" --connections 32 --searches "$searches" \
  --read-connections "$read_conns" --local-country BE --max-seconds 120
