#!/usr/bin/env python3
"""Container logs tailed by a real `agent_exporter serve` (ingest.files `container_log`):
native events in a CRI file (split into P records, stdout and stderr interleaved, between the
application's own lines), in a Docker json-file file, and OTLP JSON in a CRI file. After the
files are read, every count is exact: events, rejected lines (line_too_long once for a split
line over ingest.max_line_bytes, invalid_json for a broken '{' line), and
agent_exporter_tail_lines_skipped_total{reason} for the app lines (not_json) and malformed
records (bad_container_log). A rotated, compressed file next to them is not read. A bad
`container_log` value is a config error with file:line:column.

  container_log_serve_test.py AGENT_EXPORTER_BINARY
"""
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

MAX_LINE = 4096


def cri(stream, tag, content):
    return "2024-05-01T10:00:00.000000001Z %s %s %s\n" % (stream, tag, content)


def docker(stream, log):
    return json.dumps({"log": log, "stream": stream, "time": "2024-05-01T10:00:00.000000001Z"}) + "\n"


def event(agent, n):
    return json.dumps({"type": "run", "agent_id": agent, "status": "success", "duration_ms": 10 + n,
                       "ts": 1763700000.0 + n, "pad": "x" * (n % 7) * 100})


def split(text, size):
    return [text[i:i + size] for i in range(0, len(text), size)]


def scrape(port):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    out = {}
    for line in body.splitlines():
        if line.startswith("#") or not line:
            continue
        name, value = line.rsplit(" ", 1)
        out[name] = float(value)
    return out


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        pod = os.path.join(tmp, "pods", "ns_agent-0_uid", "agent")
        os.makedirs(pod)
        cri_text, want_cri, app_lines = "", 0, 0
        for n in range(60):
            line = event("cri", n)
            if n % 3 == 0:  # split into P records, a stderr line in between
                pieces = split(line, 50)
                for i, p in enumerate(pieces):
                    cri_text += cri("stdout", "P" if i < len(pieces) - 1 else "F", p)
                    if i == 1:
                        cri_text += cri("stderr", "F", "level=warn msg=slow")
                        app_lines += 1
            else:
                cri_text += cri("stderr" if n % 2 else "stdout", "F", line)
            want_cri += 1
            cri_text += cri("stdout", "F", "INFO handled request %d" % n)
            app_lines += 1
        # A split line over max_line_bytes: one line_too_long; a broken event: invalid_json;
        # a record that is not CRI: bad_container_log; an empty line of the app: not_json.
        for p in split("{" + "y" * (MAX_LINE + 100) + "}", 1000):
            cri_text += cri("stdout", "P", p)
        cri_text += cri("stdout", "F", "")
        cri_text += cri("stdout", "F", "{\"type\":")
        cri_text += "this is not a CRI record\n"
        cri_text += cri("stdout", "F", "")
        app_lines += 1
        with open(os.path.join(pod, "0.log"), "w") as f:
            f.write(cri_text)
        with gzip.open(os.path.join(pod, "0.log.20240501-090000.gz"), "wt") as f:
            f.write(cri("stdout", "F", event("gz", 1)))

        docker_dir = os.path.join(tmp, "docker", "c1")
        os.makedirs(docker_dir)
        with open(os.path.join(docker_dir, "c1-json.log"), "w") as f:
            for n in range(10):
                for p in split(event("docker", n) + "\n", 40):
                    f.write(docker("stdout", p))
                f.write(docker("stderr", "GET /healthz 200\n"))
                app_lines += 1

        otel = os.path.join(tmp, "pods", "ns_otel-0_uid", "collector")
        os.makedirs(otel)
        spans = [{"traceId": "%032x" % 1, "spanId": "%016x" % (i + 1), "name": "invoke_agent",
                  "startTimeUnixNano": "1795319952000000000", "endTimeUnixNano": "1795319952100000000",
                  "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "invoke_agent"}},
                                 {"key": "gen_ai.agent.name", "value": {"stringValue": "otel-agent"}}]}
                 for i in range(5)]
        request = json.dumps({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]})
        with open(os.path.join(otel, "0.log"), "w") as f:
            pieces = split(request, 300)
            for i, p in enumerate(pieces):
                f.write(cri("stdout", "P" if i < len(pieces) - 1 else "F", p))

        config = os.path.join(tmp, "c.yml")
        with open(config, "w") as f:
            f.write("web:\n  listen_address: 127.0.0.1:0\n"
                    "ingest:\n  poll_interval: 20ms\n  scan_interval: 50ms\n  max_line_bytes: %d\n"
                    "  files:\n"
                    "    - {path: '%s/pods/ns_agent-*/*/*.log*', container_log: cri}\n"
                    "    - {path: '%s/docker/*/*-json.log', format: native, container_log: docker_json}\n"
                    "    - {path: '%s/pods/ns_otel-*/*/*.log', format: otlp_json, container_log: cri}\n"
                    % (MAX_LINE, tmp, tmp, tmp))
        log_path = os.path.join(tmp, "log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([binary, "serve", "--config.file=" + config], stdout=log, stderr=log)
        try:
            port = None
            deadline = time.time() + 30
            while time.time() < deadline and port is None:
                m = re.search(r"msg=listening .*port=(\d+)", open(log_path).read())
                port = int(m.group(1)) if m else None
                time.sleep(0.01)
            assert port is not None, "exporter did not start:\n" + open(log_path).read()
            runs = lambda m: sum(v for k, v in m.items() if k.startswith("agent_requests_total{"))
            want_runs = want_cri + 10 + 5
            deadline = time.time() + 30
            while time.time() < deadline and runs(scrape(port)) < want_runs:
                time.sleep(0.05)
            time.sleep(0.3)  # several polls more: nothing may be counted twice
            m = scrape(port)
            got = {
                "runs": runs(m),
                "cri": m.get('agent_requests_total{agent_id="cri",status="success"}'),
                "docker": m.get('agent_requests_total{agent_id="docker",status="success"}'),
                "otel": m.get('agent_requests_total{agent_id="otel-agent",status="success"}'),
                "gz": m.get('agent_requests_total{agent_id="gz",status="success"}'),
                "too_long": m.get('agent_exporter_events_rejected_total{source="file",reason="line_too_long"}'),
                "invalid": m.get('agent_exporter_events_rejected_total{source="file",reason="invalid_json"}'),
                "not_json": m.get('agent_exporter_tail_lines_skipped_total{reason="not_json"}'),
                "bad": m.get('agent_exporter_tail_lines_skipped_total{reason="bad_container_log"}'),
            }
            want = {"runs": want_runs, "cri": want_cri, "docker": 10, "otel": 5, "gz": None,
                    "too_long": 1, "invalid": 1, "not_json": app_lines, "bad": 1}
            assert got == want, "got %r\nwant %r\nrejected: %r\nlog:\n%s" % (
                got, want, {k: v for k, v in m.items() if "rejected" in k}, open(log_path).read()[-3000:])
        finally:
            proc.terminate()
            proc.wait()

        # A bad value is a config error with its position.
        with open(config, "w") as f:
            f.write("ingest:\n  files:\n    - {path: /x, container_log: containerd}\n")
        r = subprocess.run([binary, "check-config", "--config.file=" + config], capture_output=True, text=True)
        assert r.returncode != 0, r
        assert "c.yml:3:33: ingest.files[0].container_log: unknown container_log \"containerd\"" \
            in r.stdout + r.stderr, r.stdout + r.stderr
        print("ok: %d CRI, 10 json-file and 5 OTLP events, %d app lines skipped" % (want_cri, app_lines))


if __name__ == "__main__":
    main()
