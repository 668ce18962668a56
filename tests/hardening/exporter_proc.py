"""A real `agent_exporter serve` for the hardening tests, and the small HTTP and exposition
helpers they share. Python standard library only.

The exporter runs in its own process group with a temp config on 127.0.0.1:0; the bound port
is read from its `msg=listening` log line and /-/ready must answer 200 (as tests/e2e,
tests/otel and tests/integration do). Its log is appended to one file across restarts so a
failure can print all of it.
"""
import http.client
import os
import re
import signal
import socket
import subprocess
import threading
import time

OPENMETRICS = "application/openmetrics-text;version=1.0.0"


# Under AddressSanitizer (the test runner sets AGX_HARDENING_SANITIZER=1 for builds with
# AGX_SANITIZE) memory is ASan's: freed blocks wait in a quarantine of up to 256 MiB
# (quarantine_size_mb), every block has redzones and 1/8 of it is mirrored in shadow
# memory. The bounds derived for glibc's allocator then get this allowance on top
# (measured under ASan: hostile 370 MiB, overload 300 MiB peak).
ASAN_EXTRA_MIB = 512


def rss_bound_mib(derived_mib):
    """The VmRSS bound of a test: AGX_HARDENING_RSS_MB when set (by hand), else the bound
    derived from the configured limits, plus ASAN_EXTRA_MIB under sanitizers."""
    if os.environ.get("AGX_HARDENING_RSS_MB"):
        return float(os.environ["AGX_HARDENING_RSS_MB"])
    if os.environ.get("AGX_HARDENING_SANITIZER") == "1":
        return derived_mib + ASAN_EXTRA_MIB
    return derived_mib


class Fail(Exception):
    """A check failed; the message says which and what was seen."""


class ExporterProc:
    """One `agent_exporter serve` child. Not thread-safe except alive(), rss_kb() and the
    read-only attributes, which the samplers of the tests call from other threads."""

    def __init__(self, binary, tmp, config_text, name="exporter", extra_args=()):
        self.binary = binary
        self.extra_args = list(extra_args)  # more `serve` flags, e.g. --web.config.file
        self.config = os.path.join(tmp, name + ".yml")
        self.log_path = os.path.join(tmp, name + ".log")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.proc = None
        self.port = None
        self.starts = 0

    def start(self, timeout=60):
        log = open(self.log_path, "ab")
        offset = log.tell()
        self.proc = subprocess.Popen([self.binary, "serve", "--config.file=" + self.config]
                                     + self.extra_args,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.starts += 1
        self.port = None
        deadline = time.time() + timeout
        while self.port is None:
            if self.proc.poll() is not None:
                raise Fail("agent_exporter exited with %s at start" % self.proc.returncode)
            if time.time() > deadline:
                raise Fail("agent_exporter did not log its listening port within %d s" % timeout)
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                m = re.search(rb"msg=listening .*port=(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
            else:
                time.sleep(0.02)
        while True:
            try:
                if request(self.port, "GET", "/-/ready")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise Fail("agent_exporter exited with %s before ready" % self.proc.returncode)
            if time.time() > deadline:
                raise Fail("agent_exporter not ready within %d s" % timeout)
            time.sleep(0.02)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_up(self, what):
        """Fails unless the process runs and GET /healthz answers 200."""
        if not self.alive():
            raise Fail("agent_exporter died (exit %s) after %s" % (self.proc.returncode, what))
        try:
            status = request(self.port, "GET", "/healthz", timeout=30)[0]
        except OSError as e:
            raise Fail("GET /healthz failed after %s: %s" % (what, e))
        if status != 200:
            raise Fail("GET /healthz answered %d after %s" % (status, what))

    def rss_kb(self):
        """VmRSS of the process in KiB, or None once it is gone."""
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return None

    def stop(self):
        """SIGTERM (SIGKILL after 30 s) to the process group; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:  # already stopped (and reaped): nothing to signal
            return self.proc.returncode
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
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
        return self.proc.returncode

    def tail(self, n=80):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError as e:
            return "(no log: %s)" % e

    def log_errors(self):
        """Lines of the log that must never appear: a handler that threw (a 500) and
        sanitizer reports (ASan, UBSan, LeakSanitizer)."""
        bad = (b'msg="HTTP handler failed"', b"ERROR: AddressSanitizer", b"runtime error:",
               b"ERROR: LeakSanitizer")
        with open(self.log_path, "rb") as f:
            return [line.decode("utf-8", "replace") for line in f.read().splitlines()
                    if any(b in line for b in bad)]

    def scrape(self):
        """The exposition as {name: {labels: value}} (OpenMetrics text; exemplars ignored)."""
        status, _, body = request(self.port, "GET", "/metrics", headers={"Accept": OPENMETRICS})
        if status != 200:
            raise Fail("GET /metrics answered %d" % status)
        return parse_exposition(body.decode("utf-8"))


class RssSampler:
    """Samples the VmRSS of an ExporterProc every `interval` seconds on a thread; keeps the
    peak, the number of samples and the last value."""

    def __init__(self, exporter, interval=0.1):
        self.exporter, self.interval = exporter, interval
        self.peak_kb, self.samples, self.last_kb = 0, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self):
        kb = self.exporter.rss_kb()
        if kb is not None:
            self.peak_kb = max(self.peak_kb, kb)
            self.last_kb = kb
            self.samples += 1
        return kb

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)
        self.sample()


def request(port, method, path, body=None, headers=None, timeout=60):
    """One HTTP/1.1 request on its own connection. Returns (status, {lower-case header:
    value}, body bytes). Connection errors propagate as OSError."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def request_head_only(port, path, headers, content_length, timeout=60):
    """Sends only the request head, announcing `content_length` body bytes that never come,
    and reads the reply: for limits the server must enforce before reading a body (413 on
    Content-Length, 429 admission). Returns (status, {header: value}, body bytes)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        head = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n" % (path, content_length)
        for k, v in headers.items():
            head += "%s: %s\r\n" % (k, v)
        sock.sendall((head + "\r\n").encode("latin-1"))
        return read_response(sock)
    finally:
        sock.close()


def request_chunked(port, path, headers, chunks, timeout=60):
    """POST with Transfer-Encoding: chunked, sending `chunks` (bytes each). The server may
    answer (413) before the last chunk: a failed send then stops sending and the reply is
    read. Returns (status, {header: value}, body bytes)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        head = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n" % path
        for k, v in headers.items():
            head += "%s: %s\r\n" % (k, v)
        sock.sendall((head + "\r\n").encode("latin-1"))
        try:
            for c in chunks:
                sock.sendall(b"%x\r\n%s\r\n" % (len(c), c))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed while we were sending
        return read_response(sock)
    finally:
        sock.close()


def read_response(sock):
    """Reads one HTTP/1.1 response (Content-Length framed, or up to EOF) from `sock`."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise OSError("connection closed before a complete response head (%r)" % buf[:200])
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if status == 100:  # 100 Continue: the caller decides whether to send the body
        return status, headers, rest
    length = headers.get("content-length")
    if length is not None:
        while len(rest) < int(length):
            data = sock.recv(65536)
            if not data:
                break
            rest += data
        return status, headers, rest[:int(length)]
    while True:
        data = sock.recv(65536)
        if not data:
            return status, headers, rest
        rest += data


# ----------------------------------------------------------------------------- exposition

_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|\})')


def _unescape(s):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), s)


def parse_exposition(text):
    """OpenMetrics or Prometheus text -> {sample name: {labels: value}}, labels being a
    sorted tuple of (name, value). Exemplars and timestamps are ignored."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
        name, i = m.group(0), m.end()
        labels = []
        if i < len(line) and line[i] == "{":
            i += 1
            if line[i] == "}":
                i += 1
            else:
                while True:
                    lm = _LABEL_RE.match(line, i)
                    if not lm:
                        raise Fail("cannot parse labels in %r" % line[:200])
                    labels.append((lm.group(1), _unescape(lm.group(2))))
                    i = lm.end()
                    if lm.group(3) == "}":
                        break
        rest = line[i:].split(" # ", 1)[0]
        samples.setdefault(name, {})[tuple(sorted(labels))] = float(rest.split()[0])
    return samples


def value(samples, name, **labels):
    """The value of the sample with exactly these labels, 0 when absent."""
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


def total(samples, name, **match):
    """Sum of the samples of `name` whose labels include `match`."""
    s = 0.0
    for labels, v in samples.get(name, {}).items():
        d = dict(labels)
        if all(d.get(k) == w for k, w in match.items()):
            s += v
    return s
