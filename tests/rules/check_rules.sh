#!/usr/bin/env bash
# Checks of the shipped Prometheus rules (rules/*.yml), run by CTest (tests/rules/CMakeLists.txt).
#
#   check_rules.sh generated AGENT_EXPORTER SOURCE_DIR  rules/ is what `agent_exporter rules` writes
#   check_rules.sh check SOURCE_DIR                     promtool check rules on every rules/*.yml
#   check_rules.sh test SOURCE_DIR                      promtool test rules on tests/rules/*_test.yml
#   check_rules.sh coverage SOURCE_DIR                  every alert has a firing and a quiet case
#   check_rules.sh tests-current SOURCE_DIR             tests/rules/*_test.yml match make_series.py
#
# Every failure exits non-zero with the reason; nothing is skipped (a missing promtool fails).
set -euo pipefail

die() {
  echo "FAIL: $*" >&2
  exit 1
}

need_promtool() {
  command -v promtool >/dev/null 2>&1 ||
    die "promtool not found: install Debian's prometheus package (apt-get install -y prometheus), see .ci/install-deps"
}

rule_files() {
  local src=$1
  shopt -s nullglob
  RULES=("$src"/rules/*.yml)
  shopt -u nullglob
  [[ ${#RULES[@]} -gt 0 ]] || die "no rule files in $src/rules: run agent_exporter rules --config.file=config/agent_exporter.yml --output=rules"
}

mode=${1:-}
case "$mode" in
  generated)
    [[ $# -eq 3 ]] || die "usage: $0 generated AGENT_EXPORTER SOURCE_DIR"
    exporter=$2
    src=$3
    [[ -x $exporter ]] || die "agent_exporter binary not found at $exporter"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    "$exporter" rules --config.file="$src/config/agent_exporter.yml" --output="$tmp/rules" ||
      die "agent_exporter rules exited with $?"
    if ! diff -r -u "$src/rules" "$tmp/rules"; then
      die "rules/ is not the output of the shipped config; regenerate it with:
  agent_exporter rules --config.file=config/agent_exporter.yml --output=rules
(then python3 tests/rules/make_series.py if the rules changed, and review the diff)"
    fi
    echo "rules/ matches agent_exporter rules --config.file=config/agent_exporter.yml"
    ;;
  check)
    [[ $# -eq 2 ]] || die "usage: $0 check SOURCE_DIR"
    need_promtool
    rule_files "$2"
    promtool check rules "${RULES[@]}" || die "promtool check rules failed"
    ;;
  test)
    [[ $# -eq 2 ]] || die "usage: $0 test SOURCE_DIR"
    need_promtool
    rule_files "$2"
    # The test files name the rule files relative to themselves (../../rules/...).
    cd "$2/tests/rules"
    shopt -s nullglob
    tests=(*_test.yml)
    shopt -u nullglob
    [[ ${#tests[@]} -gt 0 ]] || die "no test files in $2/tests/rules"
    promtool test rules "${tests[@]}" || die "promtool test rules failed"
    ;;
  coverage)
    [[ $# -eq 2 ]] || die "usage: $0 coverage SOURCE_DIR"
    rule_files "$2"
    python3 "$2/tests/rules/check_coverage.py" "$2" || die "rule test coverage incomplete"
    ;;
  tests-current)
    [[ $# -eq 2 ]] || die "usage: $0 tests-current SOURCE_DIR"
    python3 "$2/tests/rules/make_series.py" --check ||
      die "tests/rules/*_test.yml are not current: run python3 tests/rules/make_series.py"
    ;;
  *)
    die "usage: $0 generated|check|test|coverage|tests-current ..."
    ;;
esac
