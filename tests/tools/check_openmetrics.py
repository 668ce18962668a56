#!/usr/bin/python3
"""Strict validation of an exposition file with prometheus_client's parsers.

Usage: /usr/bin/python3 check_openmetrics.py [--text] FILE

Default: parse FILE as OpenMetrics 1.0 with
prometheus_client.openmetrics.parser.text_string_to_metric_families (rejects a missing
# EOF, exemplars outside counters/buckets, exemplar label sets over 128 code points,
bad escapes, clashing names, histograms without +Inf, ...) and check that every
exemplar has a trace_id of 32 lowercase hex digits (and a span_id, when present, of 16).
--text: parse FILE as Prometheus text 0.0.4 with prometheus_client.parser instead.

Prints `families=N samples=M exemplars=K` on success and exits 0; prints the error and
exits 1 on any problem, 2 on usage errors. Run with /usr/bin/python3: the Debian
python3-prometheus-client package lives in dist-packages.
"""
import re
import sys

HEX32 = re.compile(r"[0-9a-f]{32}")
HEX16 = re.compile(r"[0-9a-f]{16}")


def main(argv):
    text_format = False
    args = argv[1:]
    if args and args[0] == "--text":
        text_format = True
        args = args[1:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[0], "rb") as f:
        raw = f.read()
    try:
        body = raw.decode("utf-8")  # strict: invalid UTF-8 is an error
    except UnicodeDecodeError as e:
        print(f"error: not UTF-8: {e}")
        return 1

    if text_format:
        from prometheus_client.parser import text_string_to_metric_families
    else:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families

    families = samples = exemplars = 0
    errors = []
    try:
        for family in text_string_to_metric_families(body):
            families += 1
            for sample in family.samples:
                samples += 1
                ex = sample.exemplar
                if ex is None:
                    continue
                exemplars += 1
                trace_id = ex.labels.get("trace_id", "")
                span_id = ex.labels.get("span_id")
                if not HEX32.fullmatch(trace_id):
                    errors.append(f"{sample.name}{sample.labels}: trace_id {trace_id!r} "
                                  "is not 32 lowercase hex digits")
                if span_id is not None and not HEX16.fullmatch(span_id):
                    errors.append(f"{sample.name}{sample.labels}: span_id {span_id!r} "
                                  "is not 16 lowercase hex digits")
                extra = set(ex.labels) - {"trace_id", "span_id"}
                if extra:
                    errors.append(f"{sample.name}: unexpected exemplar labels {sorted(extra)}")
    except Exception as e:  # the parsers raise ValueError (and others on garbage)
        print(f"error: parse failed: {type(e).__name__}: {e}")
        return 1
    for e in errors:
        print(f"error: {e}")
    if errors:
        return 1
    print(f"families={families} samples={samples} exemplars={exemplars}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
