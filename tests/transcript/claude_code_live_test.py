#!/usr/bin/env python3
"""Integration: runs the real Claude Code CLI again (tests/transcripts/claude_code/record.py,
offline, in a loopback-only network namespace) into a temp dir, then maps the fresh
transcripts with claude_code_mapper_test and compares them with the fresh truth.

npm: package.json and package-lock.json are copied into --work-dir and `npm ci` runs there
(--prefer-offline: the npm cache first), never in the source tree. Skipped (exit 77) only
when those packages cannot be installed (no registry and no cache); any other problem fails.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(os.path.dirname(HERE), "transcripts", "claude_code")
NPM_FILES = ("package.json", "package-lock.json")
SKIP = 77


def prepare(work):
    os.makedirs(work, exist_ok=True)
    digest = hashlib.sha256()
    for name in NPM_FILES:
        with open(os.path.join(HARNESS, name), "rb") as f:
            digest.update(f.read())
    stamp = os.path.join(work, ".npm-ci.sha256")
    native = os.path.join(work, "node_modules", "@anthropic-ai", "claude-code-linux-x64", "claude")
    if os.path.exists(stamp) and open(stamp).read().strip() == digest.hexdigest() \
            and os.access(native, os.X_OK):
        return True
    npm = shutil.which("npm")
    if npm is None:
        print("SKIP: npm is not installed, so @anthropic-ai/claude-code cannot be installed")
        return False
    for name in NPM_FILES:
        shutil.copyfile(os.path.join(HARNESS, name), os.path.join(work, name))
    p = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=work,
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0 or not os.access(native, os.X_OK):
        print("SKIP: cannot install @anthropic-ai/claude-code with npm (exit %d):\n%s%s"
              % (p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
        return False
    with open(stamp, "w") as f:
        f.write(digest.hexdigest() + "\n")
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--test-binary", required=True)
    ap.add_argument("--work-dir", required=True)
    a = ap.parse_args()
    if not prepare(a.work_dir):
        return SKIP
    out = tempfile.mkdtemp(prefix="agx-cc-live-")
    try:
        rec = subprocess.run([sys.executable, os.path.join(HARNESS, "record.py"), "--out", out,
                              "--packages", a.work_dir], timeout=600)
        if rec.returncode != 0:
            print("FAIL: record.py exited %d" % rec.returncode)
            return 1
        env = dict(os.environ, AGX_CC_RECORDING=out)
        # Every recorded-test check on the fresh recording (not the throughput report).
        t = subprocess.run([a.test_binary, "--gtest_filter=ClaudeCodeRecordedTest.*"
                            "-ClaudeCodeRecordedTest.Reports*"], env=env, timeout=600)
        return t.returncode
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
