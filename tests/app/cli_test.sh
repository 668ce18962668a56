#!/usr/bin/env bash
# The command line: --version, check-config (exit codes and file:line errors), replay's
# exit code for an unreadable file, and the README metric table kept in sync.
set -euo pipefail
bin=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$bin" --version | grep -Eq '^agent_exporter, version [0-9]+\.[0-9]+\.[0-9]+ \(revision: ' || fail "--version"

"$bin" check-config --config.file="$root/config/agent_exporter.yml" || fail "shipped config rejected"
printf 'web:\n  listen_adress: ":1"\ningest:\n  poll_interval: fast\n' > "$tmp/bad.yml"
if "$bin" check-config --config.file="$tmp/bad.yml" > "$tmp/out" 2>&1; then fail "bad config accepted"; fi
grep -q "$tmp/bad.yml:2:" "$tmp/out" || { cat "$tmp/out"; fail "no file:line for the unknown key"; }
grep -q "$tmp/bad.yml:4:" "$tmp/out" || { cat "$tmp/out"; fail "no file:line for the bad duration"; }

echo '{"type":"run","agent_id":"a","status":"success"}' > "$tmp/ok.jsonl"
set +e
"$bin" replay "$tmp/ok.jsonl" "$tmp/missing.jsonl" > "$tmp/out" 2> "$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "replay with a missing file exited $rc, want 1"
grep -q 'agent_requests_total{agent_id="a",status="success"} 1' "$tmp/out" || fail "readable file not applied"
grep -q "cannot read $tmp/missing.jsonl" "$tmp/err" || fail "no error for the missing file"
tail -n1 "$tmp/out" | grep -qx '# EOF' || fail "no # EOF"

# The README metric table is generated from the catalogue.
"$bin" catalog > "$tmp/table.md"
sed -n '/<!-- BEGIN METRIC TABLE/,/<!-- END METRIC TABLE/p' "$root/README.md" | sed '1d;$d' > "$tmp/readme.md"
diff -u "$tmp/table.md" "$tmp/readme.md" || fail "README metric table is stale: run agent_exporter catalog"
echo "cli: OK"
