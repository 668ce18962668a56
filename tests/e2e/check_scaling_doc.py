#!/usr/bin/env python3
"""docs/scaling.md's remote_write example is valid Prometheus configuration: its first
```yaml block, with a scrape job added and its secret file pointed at a temporary one, must
pass `promtool check config` (Debian's prometheus 2.42, which parses strictly: a misspelt
field fails). The example is shown, not run; this keeps its fields real.

  check_scaling_doc.py SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    src = sys.argv[1]
    promtool = shutil.which("promtool")
    if not promtool:
        print("FAIL: promtool not found (apt-get install prometheus)")
        return 1
    doc = open(os.path.join(src, "docs", "scaling.md")).read()
    m = re.search(r"```yaml\n(.*?)```", doc, re.S)
    if not m or "remote_write:" not in m.group(1):
        print("FAIL: docs/scaling.md has no ```yaml block with remote_write")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        text = m.group(1)
        for path in set(re.findall(r"password_file: (\S+)", text)):
            local = os.path.join(tmp, os.path.basename(path))
            open(local, "w").write("secret\n")
            text = text.replace(path, local)
        text += ("scrape_configs:\n  - job_name: agent_exporter\n    static_configs:\n"
                 "      - targets: ['127.0.0.1:9478']\n")
        cfg = os.path.join(tmp, "prometheus.yml")
        open(cfg, "w").write(text)
        r = subprocess.run([promtool, "check", "config", cfg], capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout + r.stderr)
            print("FAIL: the remote_write example of docs/scaling.md is not valid configuration")
            return 1
    print("docs/scaling.md remote_write example: promtool check config OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
