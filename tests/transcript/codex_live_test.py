#!/usr/bin/env python3
"""Integration: runs the real Codex CLI again (tests/transcripts/codex/record.py, offline, in a
loopback-only network namespace) into a temp dir, then maps the fresh transcripts with
codex_mapper_test (CodexRecordedTest.*, AGX_CODEX_RECORDING pointing at them) and compares them
with the fresh truth the fake API wrote.

npm: record.py copies package.json and package-lock.json into --npm-dir and runs `npm ci`
there (--prefer-offline: the npm cache first), never in the source tree. Skipped (exit 77)
only when those packages cannot be installed (record.py exits 77); any other problem fails.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(os.path.dirname(HERE), "transcripts", "codex")
PINNED = "0.171.0"  # package-lock.json; the committed recording is of this version
SKIP = 77


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--test-binary", required=True)
    ap.add_argument("--npm-dir", required=True)
    a = ap.parse_args()
    out = tempfile.mkdtemp(prefix="agx-codex-live-")
    try:
        rec = subprocess.run([sys.executable, os.path.join(HARNESS, "record.py"), "--out", out,
                              "--npm-dir", a.npm_dir], timeout=900)
        if rec.returncode == SKIP:
            print("SKIP: the pinned @openai/codex packages cannot be installed")
            return SKIP
        if rec.returncode != 0:
            print("FAIL: record.py exited %d" % rec.returncode)
            return 1
        versions = [os.path.basename(d) for d in glob.glob(os.path.join(out, "*"))]
        if versions != [PINNED]:
            print("FAIL: expected a recording of Codex %s, got %s" % (PINNED, versions))
            return 1
        env = dict(os.environ, AGX_CODEX_RECORDING=os.path.join(out, PINNED))
        t = subprocess.run([a.test_binary, "--gtest_filter=CodexRecordedTest.*"], env=env,
                           timeout=600)
        return t.returncode
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
