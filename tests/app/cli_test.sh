#!/usr/bin/env bash
# The command line: --version, check-config (exit codes and file:line errors), replay's
# exit code for an unreadable file, replay of a transcript, explain-otlp, and the README metric table kept in sync.
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

# replay --input claude_code: a transcript is mapped as when tailed (one call for a message
# streamed as two lines, its tool call failed by its result, an unknown line type dropped);
# an unknown --input is refused.
cat > "$tmp/session.jsonl" <<'JSONL'
{"type":"user","sessionId":"s1","cwd":"/w/p","timestamp":"2026-01-01T00:00:00.000Z","message":{"role":"user","content":"hi"}}
{"type":"assistant","sessionId":"s1","cwd":"/w/p","timestamp":"2026-01-01T00:00:01.000Z","message":{"id":"msg_1","model":"claude-sonnet-4-5","role":"assistant","content":[{"type":"tool_use","id":"tu_1","name":"Bash","input":{}}],"stop_reason":null,"usage":{"input_tokens":10,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}
{"type":"assistant","sessionId":"s1","cwd":"/w/p","timestamp":"2026-01-01T00:00:02.000Z","message":{"id":"msg_1","model":"claude-sonnet-4-5","role":"assistant","content":[{"type":"tool_use","id":"tu_1","name":"Bash","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}
{"type":"user","sessionId":"s1","cwd":"/w/p","timestamp":"2026-01-01T00:00:03.000Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","is_error":true,"content":"exit 1"}]}}
{"type":"a-line-type-from-2030","sessionId":"s1"}
JSONL
"$bin" replay --input claude_code --format text "$tmp/session.jsonl" > "$tmp/out" 2> "$tmp/err" || fail "replay --input claude_code"
grep -q 'agent_llm_calls_total{agent_id="claude-code",model="claude-sonnet-4-5",status="success"} 1' "$tmp/out" || { cat "$tmp/out"; fail "streamed message not counted once"; }
grep -q 'agent_tokens_consumed_total{agent_id="claude-code",model="claude-sonnet-4-5",direction="output"} 5' "$tmp/out" || fail "output tokens not the final usage"
grep -q 'agent_tool_calls_total{agent_id="claude-code",tool_name="Bash",status="failure"} 1' "$tmp/out" || fail "failed tool call"
grep -q 'agent_exporter_transcript_dropped_total{format="claude_code",reason="unknown_type"} 1' "$tmp/out" || fail "unknown line type not dropped"
grep -q "replay: 1 file(s), 5 line(s)" "$tmp/err" || { cat "$tmp/err"; fail "replay summary"; }
if "$bin" replay --input bogus "$tmp/ok.jsonl" > /dev/null 2>&1; then fail "--input bogus accepted"; fi

# replay's lines: CRLF and empty lines, a bad line reported with its line number, a line
# longer than the 4 MiB read chunk skipped and counted line_too_long, and an unterminated
# last line, also over the limit, counted too (it was dropped without a word).
python3 - "$tmp/lines.jsonl" <<'PY'
import sys
ok = b'{"type":"run","agent_id":"a","status":"success"}'
huge = b'{"type":"run","agent_id":"' + b"x" * (5 << 20) + b'","status":"success"}'
with open(sys.argv[1], "wb") as f:
    f.write(ok + b"\r\n\n" + b"not json\n" + huge + b"\n" + ok + b"\n" + huge)
PY
"$bin" replay "$tmp/lines.jsonl" > "$tmp/out" 2> "$tmp/err" || fail "replay of lines.jsonl"
grep -q 'agent_requests_total{agent_id="a",status="success"} 2' "$tmp/out" || { cat "$tmp/err"; fail "replay lines: valid lines"; }
grep -q "$tmp/lines.jsonl:3: invalid_json: " "$tmp/err" || { cat "$tmp/err"; fail "replay lines: bad line's number"; }
grep -q "$tmp/lines.jsonl:4: line_too_long: " "$tmp/err" || { cat "$tmp/err"; fail "replay lines: long line's number"; }
grep -q "2 event(s) applied, 3 line(s) rejected invalid_json=1 line_too_long=2" "$tmp/err" || { cat "$tmp/err"; fail "replay lines: summary"; }
grep -q "$tmp/lines.jsonl:6: line_too_long: " "$tmp/err" || { cat "$tmp/err"; fail "replay lines: unterminated long line"; }

# explain-otlp: a span becomes an event under a user rule, a bad line is reported with its
# file:line and exit 1, the other lines are still explained; JSON has one object per span.
cat > "$tmp/rules.yml" <<'YAML'
otlp:
  span_rules:
    - name: acme-llm
      match: {scope: 'acme\.agents', span_name: 'llm\..*'}
      event: llm_call
      fields: {model: [acme.model], input_tokens: [acme.in]}
YAML
span='{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bot"}}]},"scopeSpans":[{"scope":{"name":"acme.agents"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"llm.call","attributes":[{"key":"acme.model","value":{"stringValue":"m1"}},{"key":"acme.in","value":{"intValue":"7"}}]},{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b8","name":"GET /"}]}]}]}'
printf '%s\nnot json\n' "$span" > "$tmp/capture.jsonl"
set +e
"$bin" explain-otlp --config.file="$tmp/rules.yml" "$tmp/capture.jsonl" > "$tmp/out" 2> "$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "explain-otlp with an undecodable line exited $rc, want 1"
grep -q "$tmp/capture.jsonl:2: " "$tmp/err" || { cat "$tmp/err"; fail "no file:line for the bad line"; }
grep -q -- '-> llm_call \[rule config:acme-llm, ' "$tmp/out" || { cat "$tmp/out"; fail "user rule not shown"; }
grep -q '"model":"m1","input_tokens":7' "$tmp/out" || { cat "$tmp/out"; fail "event not shown"; }
grep -q -- '-> dropped (not_genai): no span rule matches' "$tmp/out" || { cat "$tmp/out"; fail "drop not explained"; }
grep -qx 'summary: 1 request(s), 2 item(s), dropped:not_genai 1, llm_call 1' "$tmp/out" || { cat "$tmp/out"; fail "summary"; }
"$bin" explain-otlp --config.file="$tmp/rules.yml" --format=json "$tmp/capture.jsonl" > "$tmp/out" 2>/dev/null || true
[ "$(grep -c '"outcome"' "$tmp/out")" = 2 ] || { cat "$tmp/out"; fail "json: one object per span"; }
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/out" || fail "json output"

# explain-otlp says when `serve` would refuse a request whose events outgrow the limit (413),
# and remembers nothing of it: the same spans in a smaller request are explained as counted.
printf 'web:\n  max_decompressed_bytes: 8KiB\n' > "$tmp/small.yml"
python3 - "$tmp/big.jsonl" <<'PY'
import json, sys
spans = [{"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "%016x" % (i + 1),
          "name": "execute_tool", "attributes": [
              {"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}},
              {"key": "gen_ai.tool.name", "value": {"stringValue": "search"}}]} for i in range(40)]
def req(s):  # 128 control characters as the agent: 768 bytes escaped in every event
    return json.dumps({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",
        "value": {"stringValue": "\u0001" * 128}}]}, "scopeSpans": [{"spans": s}]}]})
open(sys.argv[1], "w").write(req(spans) + "\n" + req(spans[:2]) + "\n")
PY
"$bin" explain-otlp --config.file="$tmp/small.yml" "$tmp/big.jsonl" > "$tmp/out" 2>&1 || fail "explain-otlp of a refused request"
grep -q "big.jsonl:1: traces, refused (413): the events mapped from this request exceed 8192 bytes" "$tmp/out" || { cat "$tmp/out"; fail "refusal not shown"; }
grep -qx 'summary: 2 request(s), 2 item(s), tool_call 2' "$tmp/out" || { cat "$tmp/out"; fail "refused spans remembered"; }

# The README metric table is generated from the catalogue.
"$bin" catalog > "$tmp/table.md"
sed -n '/<!-- BEGIN METRIC TABLE/,/<!-- END METRIC TABLE/p' "$root/README.md" | sed '1d;$d' > "$tmp/readme.md"
diff -u "$tmp/table.md" "$tmp/readme.md" || fail "README metric table is stale: run agent_exporter catalog"
echo "cli: OK"
