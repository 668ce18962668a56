#!/usr/bin/env python3
"""Fails unless every alert in rules/*.yml has a firing case (with exact labels and
annotations) and a quiet case in tests/rules/*_test.yml, and the tests name no alert that
the rules do not define (promtool passes `exp_alerts: []` for an unknown alert name).

    check_coverage.py SOURCE_DIR
"""
import collections
import pathlib
import sys

import yaml

# The two scenario tests of the issue assert every alert (only drift may fire at 3:14 AM,
# nothing during the normal day).
SCENARIO_FILES = ("normal_day_test.yml", "incident_0314_test.yml")

def main(argv):
    if len(argv) != 2:
        print("usage: check_coverage.py SOURCE_DIR", file=sys.stderr)
        return 2
    src = pathlib.Path(argv[1])
    rule_alerts = set()
    for path in sorted((src / "rules").glob("*.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                if "alert" in rule:
                    rule_alerts.add(rule["alert"])
    missing = [f for f in SCENARIO_FILES if not (src / "tests" / "rules" / f).exists()]
    if missing:
        print(f"missing scenario test files: {missing}", file=sys.stderr)
        return 1
    if not rule_alerts:
        print(f"no alerting rules found in {src / 'rules'}", file=sys.stderr)
        return 1

    firing = collections.Counter()
    quiet = collections.Counter()
    errors = []
    test_files = sorted((src / "tests" / "rules").glob("*_test.yml"))
    for path in test_files:
        doc = yaml.safe_load(path.read_text())
        if path.name in SCENARIO_FILES:
            asserted = {c["alertname"] for g in doc.get("tests", [])
                        for c in g.get("alert_rule_test", [])}
            if asserted != rule_alerts:
                diff = sorted(asserted ^ rule_alerts)
                errors.append(f"{path.name}: asserts {diff} differently from the alerts in "
                              "rules/ (ALERTS in make_series.py must list every alert)")
        for group in doc.get("tests", []):
            if "interval" not in group:
                errors.append(f"{path.name}: group {group.get('name')!r} has no interval")
            for case in group.get("alert_rule_test", []):
                name = case["alertname"]
                if name not in rule_alerts:
                    errors.append(f"{path.name}: {name} is not an alert in rules/")
                exp = case.get("exp_alerts") or []
                if exp:
                    firing[name] += 1
                    for e in exp:
                        if not e.get("exp_labels") or not e.get("exp_annotations"):
                            errors.append(f"{path.name}: {name} at {case['eval_time']}: "
                                          "firing case without exp_labels and exp_annotations")
                else:
                    quiet[name] += 1

    print(f"{'alert':32} {'firing':>6} {'quiet':>6}")
    for name in sorted(rule_alerts):
        print(f"{name:32} {firing[name]:6} {quiet[name]:6}")
        if not firing[name]:
            errors.append(f"{name}: no firing case")
        if not quiet[name]:
            errors.append(f"{name}: no quiet case")
    for e in errors:
        print("ERROR:", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
