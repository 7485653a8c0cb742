#!/usr/bin/env bash
# The running gateway against its own OpenAPI description, with schemathesis (property-based: schema examples,
# boundary values, random and stateful sequences). The run fails on any 5xx, any answer that does not match the
# description (status, media type, body), any request the description allows that is refused for its shape, any
# request it forbids that is accepted, and on a lock-out: the admin's token must still work at the end.
#   scripts/schemathesis.sh [SECONDS_PER_RUN]
# One gateway on loopback with SQLite in a scratch directory; one run per kind of caller (party, authority,
# platform, gate, admin), each bounded in examples and in time (default 60 s). schemathesis is pinned and
# installed in a virtual environment of its own (ECMR_SCHEMATHESIS_VENV, default target/schemathesis-venv).
# Environment: ECMR_BIN_DIR runs the gateway there instead of building target/release.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
version=4.32.5
venv="${ECMR_SCHEMATHESIS_VENV:-target/schemathesis-venv}"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "version $version\$"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version"
fi
bin="${ECMR_BIN_DIR:-}"
if [ -z "$bin" ]; then
  cargo build --release -q -p ecmr-gateway --bin ecmr-gateway
  bin=target/release
fi

dir="$(mktemp -d)"
pid=
trap '[ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export ECMR_DATA_DIR="$dir/data" ECMR_LISTEN="127.0.0.1:$port" ECMR_LOG=warn ECMR_LOG_FORMAT=text

# One principal of each kind; each line the command prints ends with the token.
token() { "$bin/ecmr-gateway" principal add "$@" | awk '/^token/ { print $NF }'; }
admin=$(token --kind admin --name schemathesis-admin)
# The parties of the test vector tests/vectors/documents/complete-domestic-pallets.json, with the test keys of
# examples/keys (seeds 01, 02, 03), so that a real document is there; the sender is the caller under test.
party=$(token --kind party --name 'Brabant Zuivel B.V.' --country NL --identifier vat:NL812345678B01 \
  --key iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w)
token --kind party --name 'Van Dijk Transport B.V.' --country NL --identifier transport_licence:NL-123456 \
  --key gTl3Dqh9F19Wo1Rmw0x-zMuNipG07jeiXfYPW4_Js5Q >/dev/null
token --kind party --name 'Supermarkt Distributiecentrum Noord' --country NL \
  --key 7UkoxijRwsbq6QM4kFmVYSlZJzpcY_k2NsFGFKyHN9E >/dev/null
authority=$(token --kind authority --name schemathesis-authority --country NL --subsets full)
platform=$(token --kind platform --name schemathesis-platform --details '{"platformId": "schemathesis-platform"}')
gate=$(token --kind gate --name schemathesis-gate --subsets full)

"$bin/ecmr-gateway" serve 2>"$dir/gateway.log" &
pid=$!
for _ in $(seq 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$base/healthz" >/dev/null

# A signed document of the party's, so that the document routes have something to find.
python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["document"]))' \
  tests/vectors/documents/complete-domestic-pallets.json >"$dir/doc.json"
curl -fsS -o /dev/null -H "Authorization: Bearer $party" -H 'Content-Type: application/json' \
  --data-binary @"$dir/doc.json" "$base/v1/documents" || { echo "the test document was refused" >&2; exit 1; }

status=0
run() {
  local who="$1" token="$2"
  shift 2
  echo "== schemathesis as $who"
  "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$base/openapi.json" \
    -H "Authorization: Bearer $token" \
    --max-examples 25 --max-time "$seconds" --seed 1 --workers 1 --output-truncate true "$@" || status=1
}
run party "$party" --exclude-tag admin
run authority "$authority" --exclude-tag admin
run platform "$platform" --exclude-tag admin
run gate "$gate" --exclude-tag admin
# The admin: revoking is tried without the stateful phase (it would revoke the token the run uses, once another
# admin exists); as the only admin, with one token, every revocation of itself is refused (409, last-admin).
run admin "$admin" --include-path-regex '^/v1/admin/.*/revoke$' --phases examples,coverage,fuzzing
run admin "$admin" --include-tag admin --exclude-path-regex '/revoke$'

# No lock-out: the admin still administers.
if ! curl -fsS -o /dev/null -H "Authorization: Bearer $admin" "$base/v1/admin/principals"; then
  echo "schemathesis: the admin's token no longer works after the run (lock-out)" >&2
  status=1
fi
if grep -q 'panicked' "$dir/gateway.log"; then
  echo "schemathesis: the gateway panicked:" >&2
  grep -A3 'panicked' "$dir/gateway.log" >&2
  status=1
fi
exit "$status"
