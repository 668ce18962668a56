#!/usr/bin/env python3
"""The Debian package agent-exporter and its systemd unit (deploy/), checked as built.

  deb_test.py CHECK --source-dir REPO --binary-dir BUILD --deb-dir DIR

CHECK is one of:
  build     .ci/package (cpack -G DEB) on the existing build: exactly one .deb in DIR.
  contents  dpkg-deb -c: every path, mode and owner equals tests/deb/expected_contents.txt.
  control   dpkg-deb -f/-e: the control fields (the version is the project's, revision 1,
            and the changelog's newest entry), Depends computed by dpkg-shlibdeps and
            satisfied by the packages installed here, the conffiles list, the maintainer
            scripts (executable, valid sh, the user and systemd handling).
  lintian   lintian on the .deb: no error, and no warning but the ones docs/deploy.md
            explains (ALLOWED_WARNINGS below).
  binary    the binary extracted with dpkg-deb -x runs: --version, check-config on the
            packaged /etc config (paths rewritten into the temporary root), and `serve` run
            with the unit's ExecStart (ARGS from the packaged /etc/default, plus a port-0
            address) answers /metrics, then stops on SIGTERM with a final snapshot.
  unit      systemd-analyze verify on the packaged unit (ExecStart pointed at the extracted
            binary) with the packaged transcripts.conf drop-in, with no message at all; a
            copy with a misspelt key must produce one. systemd-analyze security --offline
            reports the exposure level, which must stay at or below MAX_EXPOSURE.
  syscalls  the extracted binary, run under strace through tailing, a push, scrapes, a
            snapshot and SIGTERM, makes only system calls the unit's SystemCallFilter=
            allows and opens only sockets of its RestrictAddressFamilies=.
The tests after `build` use the .deb it made (CTest fixture "deb"). Every process started
is stopped by its pid; temporary directories are removed.
"""
import argparse
import glob
import gzip
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

# lintian warnings that docs/deploy.md ("Lintian") explains; any other warning or error fails.
ALLOWED_WARNINGS = {
    # No manual page yet: `agent_exporter --help` and `serve --help` document the flags.
    "no-manual-page",
    # The package is not uploaded to the Debian archive, so there is no ITP bug to close.
    "initial-upload-closes-no-bugs",
}
# systemd-analyze security's overall exposure (0 safest .. 10); the unit measures 1.1.
MAX_EXPOSURE = 2.0
UNIT = "lib/systemd/system/agent_exporter.service"


class CheckFailed(Exception):
    pass


def run(argv, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(argv, **kw)


def must(argv, **kw):
    r = run(argv, **kw)
    if r.returncode != 0:
        raise CheckFailed("%s exited %d:\n%s%s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))
    return r.stdout


def the_deb(args):
    debs = glob.glob(os.path.join(args.deb_dir, "*.deb"))
    if len(debs) != 1:
        raise CheckFailed("expected one .deb in %s (run the deb_build test first), found %s"
                          % (args.deb_dir, debs))
    return debs[0]


def extract(deb, tmp):
    root = os.path.join(tmp, "root")
    must(["dpkg-deb", "-x", deb, root])
    return root


def project_version(source_dir):
    with open(os.path.join(source_dir, "CMakeLists.txt")) as f:
        m = re.search(r"project\(agent_exporter VERSION ([0-9.]+)", f.read())
    if not m:
        raise CheckFailed("no project(agent_exporter VERSION ...) in CMakeLists.txt")
    return m.group(1)


# ---- build

def check_build(args):
    env = dict(os.environ, AGX_PACKAGE_NO_BUILD="1", AGX_BUILD_DIR=args.binary_dir,
               AGX_PACKAGE_DIR=args.deb_dir)
    out = must([os.path.join(args.source_dir, ".ci", "package")], env=env).strip().splitlines()
    deb = the_deb(args)
    if not out or os.path.realpath(out[-1]) != os.path.realpath(deb):
        raise CheckFailed(".ci/package printed %r, the package is %s" % (out[-1:], deb))
    print("built %s (%d bytes)" % (deb, os.path.getsize(deb)))


# ---- contents

def check_contents(args):
    listing = must(["dpkg-deb", "-c", the_deb(args)])
    got = []
    for line in listing.splitlines():
        # drwxr-xr-x root/root 0 2026-12-08 01:32 ./etc/
        f = line.split(None, 5)
        got.append("%s %s %s" % (f[0], f[1], f[5]))
    with open(os.path.join(args.source_dir, "tests", "deb", "expected_contents.txt")) as f:
        want = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
    missing = [w for w in want if w not in got]
    extra = [g for g in got if g not in want]
    if missing or extra:
        raise CheckFailed("package contents differ from tests/deb/expected_contents.txt\n"
                          "missing:\n  %s\nunexpected:\n  %s"
                          % ("\n  ".join(missing) or "-", "\n  ".join(extra) or "-"))
    print("%d entries as expected" % len(got))


# ---- control

def parse_depends(value):
    """'a, b (>= 1), c | d' -> [[('a', None, None)], [('b', '>=', '1')], [...]]"""
    out = []
    for group in value.split(","):
        alts = []
        for alt in group.split("|"):
            m = re.fullmatch(r"\s*([a-z0-9.+-]+)(?::any)?\s*(?:\(\s*([<>=]+)\s*([^)\s]+)\s*\))?\s*", alt)
            if not m:
                raise CheckFailed("cannot parse dependency %r" % alt)
            alts.append(m.groups())
        out.append(alts)
    return out


def installed_version(pkg):
    r = run(["dpkg-query", "-W", "-f=${Status}\t${Version}", pkg])
    if r.returncode != 0 or "install ok installed" not in r.stdout:
        return None
    return r.stdout.split("\t")[1]


def check_control(args):
    deb = the_deb(args)
    fields = {}
    for name in ["Package", "Version", "Architecture", "Maintainer", "Section", "Priority",
                 "Homepage", "Depends", "Description", "Installed-Size"]:
        fields[name] = must(["dpkg-deb", "-f", deb, name]).strip()
    version = project_version(args.source_dir) + "-1"
    arch = must(["dpkg", "--print-architecture"]).strip()
    expect = {"Package": "agent-exporter", "Version": version, "Architecture": arch,
              "Section": "net", "Priority": "optional",
              "Homepage": "https://github.com/agent-exporter/agent_exporter"}
    for k, v in expect.items():
        if fields[k] != v:
            raise CheckFailed("control field %s is %r, expected %r" % (k, fields[k], v))
    if not re.fullmatch(r".+ <[^@\s]+@[^@\s]+>", fields["Maintainer"]):
        raise CheckFailed("Maintainer %r is not 'Name <address>'" % fields["Maintainer"])
    if not fields["Description"].startswith("Prometheus exporter for AI agents\n "):
        raise CheckFailed("Description lacks its synopsis or extended text: %r" % fields["Description"])

    # Depends: adduser (postinst), then what dpkg-shlibdeps found for the binary's libraries;
    # every one is satisfied by the packages installed on this machine (the build host).
    deps = parse_depends(fields["Depends"])
    names = [alts[0][0] for alts in deps]
    for needed in ["adduser", "libc6", "libstdc++6", "libssl3", "libyaml-cpp0.7"]:
        if needed not in names:
            raise CheckFailed("Depends lacks %s: %s" % (needed, fields["Depends"]))
    if not any(n.startswith("libprometheus-cpp") for n in names):
        raise CheckFailed("Depends lacks libprometheus-cpp*: %s" % fields["Depends"])
    for alts in deps:
        ok = False
        for name, op, ver in alts:
            have = installed_version(name)
            if have is None:
                continue
            if op is None or run(["dpkg", "--compare-versions", have,
                                  {">=": "ge", "<=": "le", ">>": "gt", "<<": "lt", "=": "eq"}[op],
                                  ver]).returncode == 0:
                ok = True
        if not ok:
            raise CheckFailed("dependency %s is not satisfied here" % (alts,))

    with tempfile.TemporaryDirectory() as tmp:
        ctl = os.path.join(tmp, "DEBIAN")
        must(["dpkg-deb", "-e", deb, ctl])
        with open(os.path.join(ctl, "conffiles")) as f:
            conffiles = f.read().split()
        want = ["/etc/agent_exporter/agent_exporter.yml", "/etc/default/agent_exporter"]
        if conffiles != want:
            raise CheckFailed("conffiles %s, expected %s" % (conffiles, want))
        scripts = sorted(n for n in os.listdir(ctl) if n in ("preinst", "postinst", "prerm", "postrm"))
        if scripts != ["postinst", "postrm", "prerm"]:
            raise CheckFailed("maintainer scripts %s, expected postinst, postrm, prerm" % scripts)
        for name in scripts:
            path = os.path.join(ctl, name)
            if os.stat(path).st_mode & 0o777 != 0o755:
                raise CheckFailed("%s has mode %o, expected 755" % (name, os.stat(path).st_mode & 0o777))
            must(["sh", "-n", path])
        text = {n: open(os.path.join(ctl, n)).read() for n in scripts}
        for name, needle in [
            ("postinst", "adduser --quiet --system --group --home /var/lib/agent_exporter"),
            ("postinst", "deb-systemd-helper enable 'agent_exporter.service'"),
            ("postinst", "deb-systemd-invoke $_dh_action 'agent_exporter.service'"),
            ("prerm", "deb-systemd-invoke stop 'agent_exporter.service'"),
            ("postrm", "rm -rf /var/lib/agent_exporter"),
            ("postrm", "deb-systemd-helper purge 'agent_exporter.service'"),
        ]:
            if needle not in text[name]:
                raise CheckFailed("%s lacks: %s" % (name, needle))
        root = extract(deb, tmp)
        with gzip.open(os.path.join(root, "usr/share/doc/agent-exporter/changelog.Debian.gz"), "rt") as f:
            first = f.readline()
        m = re.match(r"agent-exporter \(([^)]+)\) ", first)
        if not m or m.group(1) != version:
            raise CheckFailed("changelog.Debian's newest entry %r is not version %s" % (first, version))
    print("control fields, Depends (%d), conffiles and maintainer scripts as expected" % len(deps))


# ---- lintian

def check_lintian(args):
    r = run(["lintian", "--display-info", the_deb(args)])
    print(r.stdout + r.stderr, end="")
    tags = re.findall(r"^([EWIPXO]): agent-exporter(?: [a-z]+)?: (\S+)", r.stdout, re.M)
    errors = [t for level, t in tags if level == "E"]
    warnings = {t for level, t in tags if level == "W"}
    if errors:
        raise CheckFailed("lintian errors: %s" % errors)
    unexpected = warnings - ALLOWED_WARNINGS
    if unexpected:
        raise CheckFailed("lintian warnings not explained in docs/deploy.md: %s" % sorted(unexpected))
    if r.returncode != 0:
        raise CheckFailed("lintian exited %d" % r.returncode)
    print("lintian: %d errors, warnings %s" % (len(errors), sorted(warnings)))


# ---- binary

def wait_listening(proc, log_path, deadline_s=30):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise CheckFailed("serve exited %d:\n%s" % (proc.returncode, open(log_path).read()))
        with open(log_path) as f:
            m = re.search(r"msg=listening .*port=(\d+)", f.read())
        if m:
            return int(m.group(1))
        time.sleep(0.05)
    raise CheckFailed("serve did not listen within %d s" % deadline_s)


def http_get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read().decode()


def stop(proc):
    """SIGTERM by pid, then SIGKILL if it does not end; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def exec_start(root, tmp, extra):
    """The unit's ExecStart with the packaged paths moved into `root` and $ARGS from the
    packaged /etc/default/agent_exporter (as systemd reads an EnvironmentFile)."""
    with open(os.path.join(root, UNIT)) as f:
        line = next(l for l in f if l.startswith("ExecStart="))
    env = {}
    with open(os.path.join(root, "etc/default/agent_exporter")) as f:
        for l in f:
            m = re.match(r'([A-Z_]+)="?(.*?)"?$', l.strip())
            if m and not l.startswith("#"):
                env[m.group(1)] = m.group(2)
    argv = []
    for word in line[len("ExecStart="):].split():
        if word == "$ARGS":
            argv += env.get("ARGS", "").split()
        else:
            argv.append(word.replace("/usr/bin/", root + "/usr/bin/").replace("/etc/", tmp + "/etc/"))
    return argv + extra


def rewritten_config(root, tmp):
    """The packaged /etc config with its absolute paths moved into the temporary root."""
    src = os.path.join(root, "etc/agent_exporter/agent_exporter.yml")
    dst_dir = os.path.join(tmp, "etc/agent_exporter")
    os.makedirs(dst_dir)
    text = open(src).read()
    if "dir: /var/lib/agent_exporter" not in text:
        raise CheckFailed("the packaged config does not keep state in /var/lib/agent_exporter")
    state = os.path.join(tmp, "var/lib/agent_exporter")
    os.makedirs(state)
    dst = os.path.join(dst_dir, "agent_exporter.yml")
    with open(dst, "w") as f:
        f.write(text.replace("/var/lib/agent_exporter", state))
    return dst, state


def check_binary(args):
    version = project_version(args.source_dir)
    with tempfile.TemporaryDirectory() as tmp:
        root = extract(the_deb(args), tmp)
        binary = os.path.join(root, "usr/bin/agent_exporter")
        out = must([binary, "--version"])
        if not out.startswith("agent_exporter, version %s " % version):
            raise CheckFailed("--version printed %r, expected version %s" % (out, version))
        cfg, state = rewritten_config(root, tmp)
        out = must([binary, "check-config", "--config.file=" + cfg])
        if "config OK" not in out:
            raise CheckFailed("check-config printed %r" % out)
        # The example config shipped in the docs is valid too.
        example = os.path.join(root, "usr/share/doc/agent-exporter/examples/agent_exporter.example.yml")
        ex_copy = os.path.join(tmp, "example.yml")
        with open(ex_copy, "w") as f:   # its relative demo paths resolve against its directory
            f.write(open(example).read())
        must([binary, "check-config", "--config.file=" + ex_copy])

        # Flags as an operator adds them to ARGS in /etc/default, which follows `serve`:
        # --log.level=debug shows as the tailer's debug line for the file it opens.
        events = os.path.join(tmp, "events.jsonl")
        shutil.copy(os.path.join(args.source_dir, "examples", "events.jsonl"), events)
        argv = exec_start(root, tmp, ["--web.listen-address=127.0.0.1:0", "--log.level=debug",
                                      "--ingest.file=" + events])
        log_path = os.path.join(tmp, "serve.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        try:
            port = wait_listening(proc, log_path)
            end = time.monotonic() + 30
            while True:   # the tailed events reach /metrics
                status, body = http_get("http://127.0.0.1:%d/metrics" % port)
                if status == 200 and "# TYPE agent_exporter_" in body and "\nagent_requests_total{" in body:
                    break
                if time.monotonic() > end:
                    raise CheckFailed("/metrics answered %d without the tailed events:\n%s"
                                      % (status, body[:500]))
                time.sleep(0.1)
            status, _ = http_get("http://127.0.0.1:%d/-/ready" % port)
            if status != 200:
                raise CheckFailed("/-/ready answered %d" % status)
        finally:
            code = stop(proc)
        log = open(log_path).read()
        if code != 0:
            raise CheckFailed("serve exited %d after SIGTERM:\n%s" % (code, log))
        if "level=debug msg=\"tail: opened file\"" not in log:
            raise CheckFailed("--log.level=debug had no effect:\n%s" % log)
        if not os.path.exists(os.path.join(state, "state.json")):
            raise CheckFailed("no final snapshot in the state dir: %s" % os.listdir(state))
    print("--version, check-config, serve (tailed events on /metrics, /-/ready, SIGTERM, snapshot) OK")


# ---- unit

def unit_copy(root, tmp):
    d = os.path.join(tmp, "units")
    os.makedirs(os.path.join(d, "agent_exporter.service.d"))
    text = open(os.path.join(root, UNIT)).read()
    text = text.replace("ExecStart=/usr/bin/agent_exporter", "ExecStart=" + root + "/usr/bin/agent_exporter")
    unit = os.path.join(d, "agent_exporter.service")
    with open(unit, "w") as f:
        f.write(text)
    shutil.copy(os.path.join(root, "usr/share/doc/agent-exporter/examples/transcripts.conf"),
                os.path.join(d, "agent_exporter.service.d"))
    return unit


def verify(unit):
    r = run(["systemd-analyze", "verify", "--man=no", unit])
    return r.returncode, (r.stdout + r.stderr).strip()


def check_unit(args):
    with tempfile.TemporaryDirectory() as tmp:
        root = extract(the_deb(args), tmp)
        unit = unit_copy(root, tmp)
        code, out = verify(unit)
        if code != 0 or out:
            raise CheckFailed("systemd-analyze verify exited %d:\n%s" % (code, out))
        # The verifier reads both files: a misspelt key in the drop-in is reported.
        dropin = os.path.join(os.path.dirname(unit), "agent_exporter.service.d", "transcripts.conf")
        good = open(dropin).read()
        with open(dropin, "w") as f:
            f.write(good + "ProtectHomes=yes\n")
        code, out = verify(unit)
        if "ProtectHomes" not in out:
            raise CheckFailed("a misspelt key went unreported (exit %d): %r" % (code, out))
        with open(dropin, "w") as f:
            f.write(good)
        # The exposure level of the unit alone (the drop-in opens part of /home).
        os.rename(os.path.dirname(dropin), os.path.dirname(dropin) + ".off")
        r = run(["systemd-analyze", "security", "--offline=yes", "--no-pager", unit])
        m = re.search(r"Overall exposure level for agent_exporter.service: ([0-9.]+)", r.stdout)
        if not m:
            raise CheckFailed("systemd-analyze security printed no level:\n%s%s" % (r.stdout, r.stderr))
        level = float(m.group(1))
        if level > MAX_EXPOSURE:
            raise CheckFailed("exposure level %.1f above %.1f:\n%s" % (level, MAX_EXPOSURE, r.stdout))
    print("systemd-analyze verify: clean (unit and drop-in); exposure level %.1f" % level)


# ---- syscalls

def syscall_set(group, seen=None):
    """The system calls of a systemd group (@system-service), its nested groups expanded."""
    seen = seen if seen is not None else set()
    out = must(["systemd-analyze", "syscall-filter", "--no-pager", group])
    names = set()
    for line in out.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            if line not in seen:
                seen.add(line)
                names |= syscall_set(line, seen)
        else:
            names.add(line)
    if not names:
        raise CheckFailed("systemd-analyze syscall-filter %s listed nothing" % group)
    return names


def unit_filters(root):
    allowed, denied, families = None, set(), None
    for line in open(os.path.join(root, UNIT)):
        line = line.strip()
        if line.startswith("SystemCallFilter="):
            value = line.split("=", 1)[1]
            deny = value.startswith("~")
            names = set()
            for item in value.lstrip("~").split():
                names |= syscall_set(item) if item.startswith("@") else {item}
            if deny:
                denied |= names
            else:
                allowed = names if allowed is None else allowed | names
        elif line.startswith("RestrictAddressFamilies="):
            families = (families or set()) | set(line.split("=", 1)[1].split())   # lines add up
    if allowed is None or families is None:
        raise CheckFailed("the unit has no SystemCallFilter= allow list or RestrictAddressFamilies=")
    return allowed - denied, families


def check_syscalls(args):
    with tempfile.TemporaryDirectory() as tmp:
        root = extract(the_deb(args), tmp)
        allowed, families = unit_filters(root)
        events = os.path.join(tmp, "events.jsonl")
        shutil.copy(os.path.join(args.source_dir, "examples", "events.jsonl"), events)
        state = os.path.join(tmp, "state")
        cfg = os.path.join(tmp, "agent_exporter.yml")
        with open(cfg, "w") as f:
            f.write('web: {listen_address: "127.0.0.1:0"}\n'
                    'ingest: {files: [events.jsonl], poll_interval: 100ms}\n'
                    'state: {dir: state, snapshot_interval: 1s}\n')
        trace = os.path.join(tmp, "trace")
        log_path = os.path.join(tmp, "serve.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                ["strace", "-f", "-qq", "-o", trace, os.path.join(root, "usr/bin/agent_exporter"),
                 "serve", "--config.file=" + cfg], stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        tracee = None
        try:
            port = wait_listening(proc, log_path)
            # strace's child is the exporter: SIGTERM goes to it (strace would detach and
            # leave it running); strace then exits with its exit status.
            with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
                tracee = int(f.read().split()[0])
            base = "http://127.0.0.1:%d" % port
            body = open(events, "rb").read()
            req = urllib.request.Request(base + "/v1/events", data=body, method="POST",
                                         headers={"Content-Type": "application/x-ndjson"})
            with urllib.request.urlopen(req, timeout=10) as r:
                if r.status != 200:
                    raise CheckFailed("push answered %d" % r.status)
            with open(events, "ab") as f:   # tailing picks up an append
                f.write(body.splitlines(keepends=True)[0])
            end = time.monotonic() + 30
            while not os.path.exists(os.path.join(state, "state.json")):
                if time.monotonic() > end:
                    raise CheckFailed("no snapshot within 30 s")
                time.sleep(0.1)
            for _ in range(3):
                http_get(base + "/metrics")
            time.sleep(1.2)   # one periodic snapshot after the push
        finally:
            if tracee is not None:
                os.kill(tracee, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.kill(tracee, signal.SIGKILL)
            code = stop(proc)
        if code != 0:
            raise CheckFailed("serve under strace exited %d:\n%s" % (code, open(log_path).read()))
        used, socket_families = set(), set()
        with open(trace) as f:
            for line in f:
                m = re.match(r"\d+\s+([a-z_0-9]+)\(", line)   # "<... x resumed>" repeats a call
                if m:
                    used.add(m.group(1))
                m = re.match(r"\d+\s+socket\((AF_[A-Z0-9]+)", line)
                if m:
                    socket_families.add(m.group(1))
        if "accept4" not in used and "accept" not in used:
            raise CheckFailed("the trace holds no accept: strace did not follow the threads")
        # execve is strace starting the binary: systemd applies the filter after it.
        denied = sorted(used - allowed - {"execve"})
        if denied:
            raise CheckFailed("system calls outside the unit's SystemCallFilter=: %s" % denied)
        if not socket_families <= families:
            raise CheckFailed("socket families %s outside RestrictAddressFamilies=%s"
                              % (sorted(socket_families - families), sorted(families)))
    print("%d system calls, all allowed by the unit; socket families %s" % (len(used), sorted(socket_families)))


CHECKS = {"build": check_build, "contents": check_contents, "control": check_control,
          "lintian": check_lintian, "binary": check_binary, "unit": check_unit,
          "syscalls": check_syscalls}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("check", choices=sorted(CHECKS))
    p.add_argument("--source-dir", required=True)
    p.add_argument("--binary-dir", required=True)
    p.add_argument("--deb-dir", required=True)
    args = p.parse_args()
    try:
        CHECKS[args.check](args)
    except CheckFailed as e:
        print("FAIL deb_%s: %s" % (args.check, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
