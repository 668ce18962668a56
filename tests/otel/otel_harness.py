"""What the OpenTelemetry SDK tests share (otel_test.py, libs_test.py): the exporter process,
the OpenMetrics parser, npm setup, price lookup and series comparison. Standard library only."""
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request

NPM_FILES = ("package.json", "package-lock.json")
MIN_NODE = (18, 19)  # engines of the pinned SDK: ^18.19.0 || >=20.6.0
OPENMETRICS = "application/openmetrics-text;version=1.0.0"
COST_TOLERANCE = 1e-9
SUM_TOLERANCE = 1e-6


class Fail(Exception):
    pass


def find_price(pricing, model):
    """config's pricing semantics: exact match, else the longest '*' prefix."""
    for p in pricing:
        if p["match"] == model:
            return p
    best = None
    for p in pricing:
        m = p["match"]
        if m.endswith("*") and model.startswith(m[:-1]) and (best is None or len(m) > len(best["match"])):
            best = p
    return best


def tolerance(family):
    if family.startswith("agent_cost_usd_total"):
        return COST_TOLERANCE
    if family.endswith("_sum"):
        return SUM_TOLERANCE
    return 0.0


LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|\})')


def parse_labels(s, i):
    """Parses `{a="b",...}` from s[i] == '{'; returns (tuple of (name, value) sorted, end)."""
    assert s[i] == "{"
    i += 1
    labels = []
    if s[i] == "}":
        return (), i + 1
    while True:
        m = LABEL_RE.match(s, i)
        if not m:
            raise ValueError("bad labels at %r" % s[i:i + 60])
        value = re.sub(r'\\(.)', lambda x: {"n": "\n"}.get(x.group(1), x.group(1)), m.group(2))
        labels.append((m.group(1), value))
        i = m.end()
        if m.group(3) == "}":
            return tuple(sorted(labels)), i


def parse_exposition(text):
    """OpenMetrics text -> {sample name: {labels: (value, exemplar or None)}}, exemplar being
    ({labels}, value)."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
        name, i = m.group(0), m.end()
        labels = ()
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i)
        rest = line[i:]
        exemplar = None
        if " # " in rest:
            rest, ex = rest.split(" # ", 1)
            ex_labels, j = parse_labels(ex, 0)
            exemplar = (dict(ex_labels), float(ex[j:].split()[0]))
        value = float(rest.split()[0])
        samples.setdefault(name, {})[labels] = (value, exemplar)
    return samples


# --------------------------------------------------------------------------- processes

class Exporter:
    """`agent_exporter serve` in its own process group, output to exporter.log; port 0, the
    bound port read from its `msg=listening` log line (as tests/e2e and tests/integration)."""

    def __init__(self, binary, tmp, config):
        self.log_path = os.path.join(tmp, "exporter.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary, "serve", "--config.file=" + config],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self.wait_ready(time.time() + 30)
        except Fail as e:
            self.stop()
            raise Fail("%s; log:\n%s" % (e, self.tail()))

    def wait_ready(self, deadline):
        self.port = None
        while self.port is None:
            if self.proc.poll() is not None:
                raise Fail("agent_exporter exited with %s at start" % self.proc.returncode)
            if time.time() > deadline:
                raise Fail("agent_exporter did not log its listening port within 30 s")
            with open(self.log_path, "rb") as f:
                m = re.search(rb"msg=listening .*port=(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
            else:
                time.sleep(0.05)
        self.base = "http://127.0.0.1:%d" % self.port
        while True:
            try:
                if http_get(self.base + "/-/ready")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise Fail("agent_exporter exited with %s before ready" % self.proc.returncode)
            if time.time() > deadline:
                raise Fail("agent_exporter not ready within 30 s")
            time.sleep(0.05)

    def scrape(self):
        status, body = http_get(self.base + "/metrics", {"Accept": OPENMETRICS})
        if status != 200:
            raise Fail("GET /metrics answered %d" % status)
        return body

    def kill(self):
        """SIGKILL, no shutdown: what a crash leaves behind."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self):
        """SIGTERM, then SIGKILL after 15 s; the whole process group. Returns the exit code."""
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self.log.close()
        return self.proc.returncode

    def tail(self, n=80):
        with open(self.log_path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")


def http_get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def run_checked(argv, cwd, timeout, what):
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, start_new_session=True)
    except subprocess.TimeoutExpired as e:
        raise Fail("%s did not finish within %d s:\n%s%s" % (what, timeout, e.stdout or "", e.stderr or ""))
    return p


# ---------------------------------------------------------------------------------- npm

def require_tools():
    node, npm = shutil.which("node"), shutil.which("npm")
    missing = [n for n, p in (("node", node), ("npm", npm)) if p is None]
    if missing:
        raise Fail("%s not found on PATH: this test runs the OpenTelemetry JS SDK and needs "
                   "Node.js >= %d.%d with npm (Debian: apt-get install nodejs npm; "
                   ".ci/install-deps installs them)" % (" and ".join(missing), *MIN_NODE))
    v = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    m = re.match(r"v(\d+)\.(\d+)", v)
    if not m or (int(m.group(1)), int(m.group(2))) < MIN_NODE:
        raise Fail("node %s is too old: the pinned OpenTelemetry SDK needs >= %d.%d" % (v, *MIN_NODE))
    return node, npm


def prepare_npm(npm, source_dir, work_dir):
    """Copies the package files of source_dir into work_dir and runs `npm ci` there when they
    changed. Serialised with a lock so two test runs sharing work_dir cannot interleave."""
    os.makedirs(work_dir, exist_ok=True)
    digest = hashlib.sha256()
    for name in NPM_FILES:
        with open(os.path.join(source_dir, name), "rb") as f:
            digest.update(f.read())
    digest = digest.hexdigest()
    stamp = os.path.join(work_dir, ".npm-ci.sha256")
    with open(os.path.join(work_dir, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(stamp) as f:
                if f.read().strip() == digest and os.path.isdir(os.path.join(work_dir, "node_modules")):
                    return
        except FileNotFoundError:
            pass
        for name in NPM_FILES:
            shutil.copyfile(os.path.join(source_dir, name), os.path.join(work_dir, name))
        if os.path.exists(stamp):
            os.unlink(stamp)
        p = run_checked([npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"], work_dir, 240, "npm ci")
        if p.returncode != 0:
            raise Fail("npm ci failed in %s (exit %d):\n%s%s" % (work_dir, p.returncode, p.stdout, p.stderr))
        with open(stamp, "w") as f:
            f.write(digest + "\n")


def fmt_labels(labels):
    return "{" + ",".join('%s="%s"' % kv for kv in labels) + "}"


