#!/bin/sh
# Writes the eFTI XML (full, identifier and every EU subset) of the signed document of every example note and
# validates each file with xmllint against the eFTI reference XSDs. Exits non-zero on any failure.
#
# Usage: tools/check-efti-xml.sh [XSD_DIR]   (default: ../shared/efti-ri/xsd beside the checkout)
# Needs xmllint (Debian: apt-get install libxml2-utils) and the XSDs. Without them the check cannot run: under CI
# (CI set and not empty) that fails, so that it never passes unnoticed; elsewhere it is skipped with a line saying so.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
xsd=${1:-$root/../shared/efti-ri/xsd}
cannot_run() {
    if [ -n "${CI:-}" ]; then
        echo "check-efti-xml: CI is set, so the check may not be skipped, but $1" >&2
        exit 1
    fi
    echo "check-efti-xml: skipped: $1"
    exit 0
}
command -v xmllint >/dev/null || cannot_run "xmllint is not installed (Debian: apt-get install libxml2-utils)"
[ -f "$xsd/consignment-common.xsd" ] || cannot_run "no eFTI XSDs in $xsd"

# Every example note has a complete-lifecycle signed document among the test vectors.
docs=""
for note in "$root"/examples/*.json; do
    name=$(basename "$note" .json)
    doc="$root/tests/vectors/documents/complete-$name.json"
    [ -f "$doc" ] || { echo "check-efti-xml: no signed document $doc for $note" >&2; exit 1; }
    docs="$docs $doc"
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2086
(cd "$root" && cargo run -q -p ecmr --example efti-xml -- "$out" $docs)

failed=0
count=0
for f in "$out"/*.xml; do
    count=$((count + 1))
    case "$f" in
        *.identifier.xml) schema="$xsd/consignment-identifier.xsd" ;;
        *) schema="$xsd/consignment-common.xsd" ;;
    esac
    if ! xmllint --noout --schema "$schema" "$f" 2>"$out/err"; then
        failed=$((failed + 1))
        echo "INVALID $(basename "$f"):" >&2
        cat "$out/err" >&2
    fi
done
echo "check-efti-xml: $count files, $failed invalid"
[ "$failed" -eq 0 ] && [ "$count" -gt 0 ]
