#!/usr/bin/env bash
# Usage: check_dashboards.sh <agent_exporter binary> <source dir>
# 1. Regenerates the dashboards from config/agent_exporter.yml and diffs them with dashboards/.
# 2. Takes every PromQL expression of every dashboard (panel targets, annotation queries and
#    the selectors of label_values() variables), substitutes the Grafana variables
#    ($agent_id/$model/$tool_name -> .+ inside =~ matchers, $__rate_interval -> 1m,
#    $__range -> 1h, $__interval -> 1m), wraps each as a recording rule
#    `dashboard:check:expr<N>` and runs `promtool check rules` on the file. On failure every
#    offending expression is printed with its dashboard and panel title.
set -euo pipefail

bin=${1:?usage: check_dashboards.sh <agent_exporter> <source dir>}
src=${2:?usage: check_dashboards.sh <agent_exporter> <source dir>}
command -v promtool >/dev/null || { echo "FAIL: promtool not found (apt-get install prometheus)"; exit 1; }
command -v jq >/dev/null || { echo "FAIL: jq not found (apt-get install jq)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# 1. The shipped files are the generator's output.
"$bin" dashboards --config.file="$src/config/agent_exporter.yml" --output="$tmp/gen"
if ! diff -r "$src/dashboards" "$tmp/gen" >"$tmp/diff"; then
  cat "$tmp/diff" | head -100
  echo "FAIL: dashboards/ differs from the generator output. Regenerate with:"
  echo "  agent_exporter dashboards --config.file=config/agent_exporter.yml --output=dashboards"
  status=1
fi

# 2. Every expression parses. One JSON line per expression: [file, where, expr, substituted].
shopt -s nullglob
jsons=("$tmp"/gen/*.json)
[[ ${#jsons[@]} -eq 3 ]] || { echo "FAIL: expected 3 dashboards, got ${#jsons[@]}"; exit 1; }
for f in "${jsons[@]}"; do
  jq -c --arg file "$(basename "$f")" '
    def subst: gsub("\\$__rate_interval"; "1m") | gsub("\\$__range"; "1h")
             | gsub("\\$__interval"; "1m")
             | gsub("(?<m>=~\")\\$(agent_id|model|tool_name)"; "\(.m).+");
    ( (.panels[] | .title as $t | .targets[] | ["panel \"" + $t + "\"", .expr]),
      (.annotations.list[] | select(has("expr")) | ["annotation \"" + .name + "\"", .expr]),
      (.templating.list[] | select(.type == "query")
        | ["variable " + .name,
           (.definition | capture("^label_values\\((?<s>.*), *[a-zA-Z_][a-zA-Z0-9_]*\\)$").s)]) )
    | [$file, .[0], .[1], (.[1] | subst)]' "$f"
done >"$tmp/exprs.jsonl"

count=$(wc -l <"$tmp/exprs.jsonl")
if [[ $count -lt 50 ]]; then
  echo "FAIL: only $count expressions found"
  exit 1
fi
# A variable left over means it was used outside a =~ matcher, or is unknown.
if jq -e -s 'map(select(.[3] | test("\\$"))) | length > 0' "$tmp/exprs.jsonl" >/dev/null; then
  jq -r 'select(.[3] | test("\\$")) | "FAIL: \(.[0]) \(.[1]): variable outside a =~ matcher: \(.[2])"' \
    "$tmp/exprs.jsonl"
  status=1
fi

# JSON is YAML: the rule file is written with jq.
rules() {
  jq -s '{groups: [{name: "dashboard-check", rules: [to_entries[]
          | {record: ("dashboard:check:expr" + (.key | tostring)), expr: .value[3]}]}]}'
}
rules <"$tmp/exprs.jsonl" >"$tmp/rules.yml"
if promtool check rules "$tmp/rules.yml" >"$tmp/promtool.out" 2>&1; then
  echo "promtool parsed $count dashboard expressions ($(promtool --version 2>&1 | head -1))"
else
  cat "$tmp/promtool.out"
  echo "FAIL: promtool rejected dashboard expressions:"
  while IFS= read -r line; do
    printf '%s\n' "$line" | rules >"$tmp/one.yml"
    if ! promtool check rules "$tmp/one.yml" >"$tmp/one.out" 2>&1; then
      jq -r '"  \(.[0]) \(.[1]):\n    \(.[2])"' <<<"$line"
      grep -i "error\|parse" "$tmp/one.out" | sed 's/^/    /' || true
    fi
  done <"$tmp/exprs.jsonl"
  status=1
fi

if [[ $status -eq 0 ]]; then echo "OK: dashboards/ is up to date and all PromQL parses"; fi
exit $status
