#!/usr/bin/env python3
"""The container image, checked without Docker (Docker cannot run in the project's CI).

  dockerfile_test.py --exporter BIN --binary-dir BUILD --source-dir REPO

Parses REPO/Dockerfile, REPO/.dockerignore and REPO/docker-compose.yml and checks what would
make `docker build` or the container's start fail, against the real files, the real binary
and the real Debian 12 package database of this machine:
  - both stages are Debian 12 (debian:12-slim or debian:bookworm-slim), pinned by tag;
  - every COPY source exists, is tracked by git and is not excluded by .dockerignore; the
    build context is the whole source tree (no tracked file is excluded but the Dockerfile
    and .dockerignore) and leaves out .git, build trees, node_modules, state and secrets;
  - every repository script a RUN executes exists, is executable (on disk and in git) and
    was copied into the image before that RUN; every other command of the runtime stage
    belongs to a Debian package of priority "required" (what debian:*-slim contains);
  - the binary copied out of the build stage is where .ci/build puts it;
  - every package the runtime stage installs exists in Debian 12 (`apt-cache show` when this
    machine is Debian 12 with package lists, else the list below), and the packages are
    exactly those that provide the shared libraries `ldd` reports for the built binary,
    each library mapped with `dpkg -S`: none missing (the container would not start), none
    extra;
  - the config the image ships (the file COPY'd to the path CMD names) passes
    `agent_exporter check-config`, tails no files, and its listen addresses are the EXPOSE
    ports, its state.dir is the VOLUME; the rules and dashboards copied to
    /usr/share/agent_exporter are what `agent_exporter rules|dashboards` generate for it;
  - USER is a numeric non-root uid:gid that owns the VOLUME directory;
  - ENTRYPOINT runs the copied binary, CMD is `serve --config.file=<the shipped config>`;
  - docker-compose.yml: every bind-mounted path exists (or, for secrets the user creates,
    is ignored by git and docker), every named volume is declared, and the agent_exporter
    service builds this Dockerfile with the container config and a named state volume.
hadolint is not a Debian package, so it is not run. Every failed check is printed; the
exit status is 1 if any failed.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import filecmp

import yaml

# Used only when this machine cannot answer (not Debian 12, or no apt lists): the runtime
# packages as listed for bookworm/amd64 on https://packages.debian.org/bookworm/ (and by
# `apt-cache show` on Debian 12.11, 2025), with the version seen there.
BOOKWORM_PACKAGES = {
    "libc6": "2.36-9+deb12u14",
    "libcrypt1": "1:4.4.33-2",
    "libgcc-s1": "12.2.0-14+deb12u1",
    "libstdc++6": "12.2.0-14+deb12u1",
    "zlib1g": "1:1.2.13.dfsg-1+deb12u1",
    "libssl3": "3.0.22-1~deb12u2",
    "libcivetweb1": "1.15+dfsg-4",
    "libprometheus-cpp-core1.0": "1.0.1-1",
    "libsimdjson14": "3.0.1-1",
    "libyaml-cpp0.7": "0.7.0+dfsg-8+b1",
}
DEBIAN_12_IMAGES = re.compile(r"^(docker\.io/(library/)?)?debian:(12|bookworm)(\.\d+)?-slim$")
# Paths the build context must never carry (they are not sources, or they are secrets).
MUST_BE_IGNORED = [".git/config", "build/CMakeCache.txt", "build-asan/x",
                   "build/bench-work/x", "tests/otel/node_modules/x/package.json",
                   ".agent_exporter-state/state.json", "secrets/pagerduty_key"]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# ---------------------------------------------------------------- Dockerfile parsing

def parse_dockerfile(path):
    """Instructions as (stage index, keyword, argument text, line number); continuation
    lines are joined and comment lines dropped, as Docker does."""
    instrs, stage, buf, start = [], -1, "", 0
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        s = line.rstrip("\n")
        if not buf and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if buf and s.lstrip().startswith("#"):
            continue
        if not buf:
            start = n
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        kw, _, rest = buf.strip().partition(" ")
        kw = kw.upper()
        if kw == "FROM":
            stage += 1
        instrs.append((stage, kw, rest.strip(), start))
        buf = ""
    return instrs


def split_flags(args):
    """`--from=build a b` -> ({'from': 'build'}, ['a', 'b'])."""
    flags, words = {}, []
    for w in shlex.split(args):
        if w.startswith("--") and not words:
            k, _, v = w[2:].partition("=")
            flags[k] = v
        else:
            words.append(w)
    return flags, words


def exec_form(args):
    if check(args.startswith("["), f"{args!r}: use the exec (JSON) form"):
        return json.loads(args)
    return shlex.split(args)


def shell_commands(run_args):
    """Simple commands of a RUN line: split on && ; |, leading VAR=value dropped."""
    cmds = []
    for part in re.split(r"&&|\|\||;|\|", run_args):
        words = shlex.split(part)
        env = {}
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            k, _, v = words.pop(0).partition("=")
            env[k] = v
        if words:
            cmds.append((env, words))
    return cmds


# ---------------------------------------------------------------- .dockerignore

def dockerignore_patterns(path):
    pats = []
    for line in open(path, encoding="utf-8"):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        neg = s.startswith("!")
        s = os.path.normpath(s[1:] if neg else s).lstrip("/")
        rx, i = "", 0
        while i < len(s):  # moby/patternmatcher: ** any directories, * ? within one
            if s.startswith("**/", i):
                rx, i = rx + "(?:.*/)?", i + 3
            elif s.startswith("**", i):
                rx, i = rx + ".*", i + 2
            elif s[i] == "*":
                rx, i = rx + "[^/]*", i + 1
            elif s[i] == "?":
                rx, i = rx + "[^/]", i + 1
            else:
                rx, i = rx + re.escape(s[i]), i + 1
        pats.append((re.compile("^" + rx + "$"), neg))
    return pats


def ignored(pats, relpath):
    """Docker's rule: the last pattern that matches the path or one of its parent
    directories decides."""
    parts = relpath.strip("/").split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    out = False
    for rx, neg in pats:
        if any(rx.match(p) for p in prefixes):
            out = not neg
    return out


# ---------------------------------------------------------------- Debian packages

def is_debian_12():
    try:
        osr = open("/etc/os-release", encoding="utf-8").read()
    except OSError:
        return False
    return 'ID=debian' in osr and 'VERSION_ID="12"' in osr


def apt_known(pkgs):
    """Which of pkgs exist in this machine's Debian 12 package lists, or None."""
    if not is_debian_12():
        return None
    r = run(["apt-cache", "show", "--no-all-versions", *pkgs])
    found = set(re.findall(r"^Package: (\S+)$", r.stdout, re.M))
    if not found:
        return None  # no package lists (apt-get update never ran)
    return found


def dpkg_owners(paths):
    """{path: packages that installed it} in one `dpkg -S` (each call reads the whole
    database). dpkg knows a file by the path its package shipped it at (/lib/... or
    /usr/lib/...), so the merged-/usr alias is asked too and answers are matched by
    real path."""
    cands = {}
    for path in paths:
        real = os.path.realpath(path)
        for p in (path, real):
            cands[p] = real
            if re.match(r"^/usr/(s?bin|lib|lib64)/", p):
                cands[p[4:]] = real
            elif re.match(r"^/(s?bin|lib|lib64)/", p):
                cands["/usr" + p] = real
    r = run(["dpkg", "-S", *cands])  # exits 1 if some alias is unknown: expected
    by_real = {}
    for line in r.stdout.splitlines():
        pkgs, _, file = line.rpartition(": ")
        if not line.startswith("diversion") and file in cands:
            by_real.setdefault(cands[file], set()).update(
                x.strip().split(":")[0] for x in pkgs.split(","))
    return {path: by_real.get(os.path.realpath(path), set()) for path in paths}


def priority(pkg):
    r = run(["dpkg-query", "-W", "-f=${Priority}", pkg])
    return r.stdout.strip() if r.returncode == 0 else ""


# ---------------------------------------------------------------- checks

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--binary-dir", required=True)
    ap.add_argument("--source-dir", required=True)
    a = ap.parse_args()
    src = os.path.abspath(a.source_dir)
    dockerfile = os.path.join(src, "Dockerfile")
    instrs = parse_dockerfile(dockerfile)
    pats = dockerignore_patterns(os.path.join(src, ".dockerignore"))

    git = run(["git", "-C", src, "ls-files", "-s"])
    tracked = {}
    if git.returncode == 0:
        for line in git.stdout.splitlines():
            meta, path = line.split("\t", 1)
            tracked[path] = meta.split()[0]
    else:
        print("note: not a git checkout, tracked-file checks skipped")

    # Stages.
    froms = [i for i in instrs if i[1] == "FROM"]
    check(len(froms) == 2, f"expected a build and a runtime stage, got {len(froms)} FROM")
    stage_names = {}
    for st, _, args, n in froms:
        words = args.split()
        check(DEBIAN_12_IMAGES.match(words[0]) is not None,
              f"Dockerfile:{n}: FROM {words[0]}: not debian:12-slim / debian:bookworm-slim")
        if len(words) == 3 and words[1].upper() == "AS":
            stage_names[words[2]] = st
    runtime = len(froms) - 1

    def of(st, kw):
        return [i for i in instrs if i[0] == st and i[1] == kw]

    # Build context.
    for p in MUST_BE_IGNORED:
        check(ignored(pats, p), f".dockerignore: {p} would be sent in the build context")
    wrongly = [p for p in tracked if ignored(pats, p) and p not in ("Dockerfile", ".dockerignore")]
    check(not wrongly, f".dockerignore excludes tracked sources the build may need: {wrongly[:10]}")

    # COPY sources, and where each stage's files land (for the RUN checks below).
    copied = {}  # stage -> [(image path, repo path, Dockerfile line)]
    workdir = {}
    binary_in_image = None
    files_in_image = {}
    for st, kw, args, n in instrs:
        if kw == "WORKDIR":
            workdir[st] = args
        if kw not in ("COPY", "ADD"):
            continue
        check(kw == "COPY", f"Dockerfile:{n}: use COPY, not ADD")
        flags, words = split_flags(args)
        srcs, dest = words[:-1], words[-1]
        if not dest.startswith("/"):
            dest = os.path.join(workdir.get(st, "/"), dest)
        if "from" in flags:
            # The build stage's binary: .ci/build writes build/ under the build WORKDIR,
            # and the target sits where CMake puts it in any build tree.
            bst = stage_names.get(flags["from"])
            check(bst is not None, f"Dockerfile:{n}: --from={flags['from']} names no stage")
            rel = os.path.relpath(os.path.realpath(a.exporter), os.path.realpath(a.binary_dir))
            want = os.path.join(workdir.get(bst, "/"), "build", rel)
            check(srcs == [want], f"Dockerfile:{n}: copies {srcs} out of the build stage; "
                  f".ci/build puts the binary at {want}")
            ci_build = open(os.path.join(src, ".ci/build"), encoding="utf-8").read()
            check("${AGX_BUILD_DIR:-build}" in ci_build, ".ci/build no longer defaults to build/")
            binary_in_image = dest
            continue
        for s in srcs:
            rel = os.path.normpath(s)
            full = os.path.join(src, rel)
            check(os.path.exists(full), f"Dockerfile:{n}: COPY source {s} does not exist")
            check(rel == "." or not ignored(pats, rel),
                  f"Dockerfile:{n}: COPY source {s} is excluded by .dockerignore")
            if tracked and rel != ".":
                inside = [p for p in tracked if p == rel or p.startswith(rel + "/")]
                check(inside, f"Dockerfile:{n}: COPY source {s} is not tracked by git")
            target = dest
            if dest.endswith("/") or (len(srcs) > 1):
                target = os.path.join(dest, os.path.basename(rel))
            copied.setdefault(st, []).append((os.path.normpath(target), rel, n))
            if os.path.isfile(full):
                files_in_image[os.path.normpath(target)] = full

    def repo_path_in_image(st, path, before=None):
        """The repo file an image path of stage st holds, if a COPY (one before line
        `before`, if given) put it there."""
        path = os.path.normpath(path)
        for img, rel, line in reversed(copied.get(st, [])):  # a later COPY overwrites
            if before is not None and line >= before:
                continue
            if rel == ".":
                if path.startswith(img.rstrip("/") + "/"):
                    return os.path.relpath(path, img)
            elif path == img:
                return rel
            elif path.startswith(img + "/"):
                return os.path.join(rel, os.path.relpath(path, img))
        return None

    # RUN: repository scripts exist, are executable and were copied before they run.
    install_pkgs = []
    runtime_runs = []
    for st, kw, args, n in instrs:
        if kw != "RUN":
            continue
        for env, words in shell_commands(args):
            cmd = words[0]
            if not cmd.startswith("/") and "/" in cmd:
                image_path = os.path.join(workdir.get(st, "/"), cmd)
                rel = repo_path_in_image(st, image_path, before=n)
                check(rel is not None, f"Dockerfile:{n}: runs {cmd} before copying it")
                full = os.path.join(src, rel or cmd)
                check(os.path.isfile(full), f"Dockerfile:{n}: script {cmd} does not exist")
                check(os.access(full, os.X_OK), f"Dockerfile:{n}: {cmd} is not executable")
                if tracked:
                    check(tracked.get(rel or cmd) == "100755",
                          f"Dockerfile:{n}: {cmd} is not executable in git (mode 100755)")
                if os.path.basename(cmd) == "build" and "AGX_TARGETS" in env:
                    check("agent_exporter" in env["AGX_TARGETS"].split(),
                          f"Dockerfile:{n}: AGX_TARGETS does not build agent_exporter")
            elif st == runtime:
                runtime_runs.append((n, words))
                if cmd == "apt-get" and "install" in words:
                    install_pkgs += [w for w in words[words.index("install") + 1:]
                                     if not w.startswith("-")]
    check(of(0, "RUN") and any(".ci/install-deps" in i[2] for i in of(0, "RUN")),
          "the build stage does not run .ci/install-deps")
    check(any(".ci/build" in i[2] for i in of(0, "RUN")), "the build stage does not run .ci/build")

    # Runtime commands come with debian:12-slim (its packages are those of priority
    # "required"), since nothing installs them.
    paths = {n: run(["sh", "-c", f"command -v {shlex.quote(w[0])}"]).stdout.strip()
             for n, w in runtime_runs}
    owners = dpkg_owners([p for p in paths.values() if p.startswith("/")])
    for n, words in runtime_runs:
        pkgs = owners.get(paths[n], set())
        check(pkgs and all(priority(o) == "required" for o in pkgs),
              f"Dockerfile:{n}: {words[0]} is not in debian:12-slim (package {pkgs or '?'})")

    # Runtime packages exist in Debian 12 ...
    check(install_pkgs, "the runtime stage installs no packages")
    known = apt_known(install_pkgs)
    source = "apt-cache show (this machine, Debian 12)"
    if known is None:
        known, source = set(BOOKWORM_PACKAGES), "the list in dockerfile_test.py"
    for p in install_pkgs:
        check(p in known, f"runtime package {p} is not in Debian 12 ({source})")
    # ... and are exactly those that provide the libraries the binary loads.
    ldd = run(["ldd", a.exporter])
    check(ldd.returncode == 0, f"ldd {a.exporter}: {ldd.stderr}")
    libs = []
    for line in ldd.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            check(False, f"ldd: {line}")
            continue
        m = re.match(r"^(\S+) => (/\S+)", line) or re.match(r"^(/\S+)", line)
        if m:  # else linux-vdso.so.1: the kernel's, no file
            libs.append(m.group(m.lastindex))
    needed = {}
    for path, owners in dpkg_owners(libs).items():
        check(owners, f"dpkg -S: no package owns {path} (from ldd)")
        for o in owners:
            needed.setdefault(o, []).append(os.path.basename(path))
    missing = sorted(set(needed) - set(install_pkgs))
    extra = sorted(set(install_pkgs) - set(needed))
    check(not missing, "the runtime stage lacks packages for libraries the binary loads: "
          + ", ".join(f"{p} ({' '.join(needed[p])})" for p in missing))
    check(not extra, f"the runtime stage installs packages the binary does not load: {extra}")
    print("runtime packages (ldd + dpkg -S):")
    for p in sorted(needed):
        print(f"  {p}: {' '.join(sorted(set(needed[p])))}")

    # ENTRYPOINT, CMD and the shipped config.
    ep = of(runtime, "ENTRYPOINT")
    cmd = of(runtime, "CMD")
    check(ep and cmd, "the runtime stage needs ENTRYPOINT and CMD")
    if not (ep and cmd):
        return report()
    entry, argv = exec_form(ep[-1][2]), exec_form(cmd[-1][2])
    check(entry == [binary_in_image], f"ENTRYPOINT {entry} is not the copied binary {binary_in_image}")
    check(argv[:1] == ["serve"], f"CMD {argv} does not run serve")
    conf_args = [x.split("=", 1)[1] for x in argv if x.startswith("--config.file=")]
    check(len(conf_args) == 1, f"CMD {argv} names no --config.file=")
    if len(conf_args) != 1:
        return report()
    conf_img = os.path.normpath(conf_args[0])
    conf = files_in_image.get(conf_img)
    check(conf is not None, f"CMD reads {conf_img}, which no COPY puts in the image")
    if conf is None:
        return report()
    r = run([a.exporter, "check-config", f"--config.file={conf}"])
    check(r.returncode == 0, f"check-config {conf}: {r.stdout}{r.stderr}")
    cfg = yaml.safe_load(open(conf, encoding="utf-8")) or {}
    ingest = cfg.get("ingest") or {}
    check(not ingest.get("files") and not ingest.get("transcripts")
          and not (cfg.get("otlp") or {}).get("files"),
          f"{conf}: the container config must tail no (demo) files")

    def port(addr):
        return int(addr.rsplit(":", 1)[1]) if addr else None

    listen = [port((cfg.get("web") or {}).get("listen_address", ":9478")),
              port((cfg.get("otlp") or {}).get("listen_address", ""))]
    exposed = [int(p.split("/")[0]) for i in of(runtime, "EXPOSE") for p in i[2].split()]
    check(sorted(p for p in listen if p) == sorted(exposed),
          f"EXPOSE {exposed} differs from the config's listen ports {listen}")
    volumes = [v for i in of(runtime, "VOLUME")
               for v in (json.loads(i[2]) if i[2].startswith("[") else i[2].split())]
    state_dir = (cfg.get("state") or {}).get("dir", "")
    check(volumes == [state_dir], f"VOLUME {volumes} is not the config's state.dir {state_dir!r}")

    # USER: numeric (Kubernetes runAsNonRoot can check it), not root, owns the volume.
    users = of(runtime, "USER")
    user = users[-1][2] if users else "root"
    m = re.match(r"^(\d+)(?::(\d+))?$", user)
    check(m is not None and int(m.group(1)) != 0 and (m.group(2) is None or int(m.group(2)) != 0),
          f"USER {user!r}: use a numeric non-root uid:gid")
    if m:
        uid = m.group(1)
        owned = any(w[:2] == ["install", "-d"] and "-o" in w and w[w.index("-o") + 1] == uid
                    and state_dir in w for _, w in runtime_runs)
        owned |= any(w[0] == "chown" and w[-1] == state_dir and w[-2].split(":")[0] == uid
                     for _, w in runtime_runs)
        check(owned, f"the runtime stage does not give {state_dir} to uid {uid}")

    # Rules and dashboards shipped in the image are those generated for its config.
    for kind in ("rules", "dashboards"):
        img = f"/usr/share/agent_exporter/{kind}"
        rel = repo_path_in_image(runtime, img)
        check(rel == kind, f"{img} is not copied from {kind}/")
        with tempfile.TemporaryDirectory() as tmp:
            r = run([a.exporter, kind, f"--config.file={conf}", f"--output={tmp}"])
            check(r.returncode == 0, f"agent_exporter {kind}: {r.stderr}")
            cmp = filecmp.dircmp(tmp, os.path.join(src, kind))
            diff = diff_tree(cmp)
            check(not diff, f"{kind}/ differs from what the container config generates: {diff}")

    # OCI labels.
    labels = " ".join(i[2] for i in of(runtime, "LABEL"))
    for key in ("title", "description", "version", "revision"):
        check(f"org.opencontainers.image.{key}=" in labels, f"no org.opencontainers.image.{key} label")
    cm = open(os.path.join(src, "CMakeLists.txt"), encoding="utf-8").read()
    version = re.search(r"project\(agent_exporter VERSION (\S+)", cm).group(1)
    check(any(i[2] == f"VERSION={version}" for i in of(runtime, "ARG")),
          f"ARG VERSION is not the CMake project version {version}")

    check_compose(src, conf, conf_img, state_dir, pats)
    return report()


def diff_tree(cmp):
    out = cmp.left_only + cmp.right_only + cmp.diff_files
    for sub in cmp.subdirs.values():
        out += diff_tree(sub)
    return out


def check_compose(src, conf, conf_img, state_dir, pats):
    compose = yaml.safe_load(open(os.path.join(src, "docker-compose.yml"), encoding="utf-8"))
    declared = set((compose.get("volumes") or {}).keys())
    gitignore = run(["git", "-C", src, "check-ignore", "-q", "--no-index", "secrets/x"])
    for name, svc in compose["services"].items():
        for v in svc.get("volumes") or []:
            host, _, rest = v.partition(":")
            if not host.startswith((".", "/")):
                check(host in declared, f"compose {name}: volume {host} is not declared")
                continue
            rel = os.path.normpath(host)
            if rel == "secrets":
                # Created by the user (README): must stay out of git and of the image.
                check(gitignore.returncode == 0, "secrets/ is not ignored by git")
                check(ignored(pats, "secrets/x"), "secrets/ is not in .dockerignore")
                continue
            check(os.path.exists(os.path.join(src, rel)),
                  f"compose {name}: mounted path {host} does not exist")
    svc = compose["services"].get("agent_exporter")
    check(svc is not None, "docker-compose.yml has no agent_exporter service")
    if svc is None:
        return
    check(svc.get("build") == ".", "compose agent_exporter: not built from ./Dockerfile")
    check(svc.get("network_mode") == "host",
          "compose agent_exporter: not on the host network like the others")
    mounts = {v.split(":")[1]: v.split(":")[0] for v in svc.get("volumes") or []}
    host_conf = mounts.get(conf_img)
    check(host_conf is None or os.path.samefile(os.path.join(src, host_conf), conf),
          f"compose agent_exporter: mounts {host_conf} over {conf_img}, not the checked config")
    check(mounts.get(state_dir) in declared,
          f"compose agent_exporter: no named volume on {state_dir}")


def report():
    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failed" if failures else "all Dockerfile checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
