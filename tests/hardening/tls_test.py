#!/usr/bin/env python3
"""TLS and authentication end to end: a real `agent_exporter serve` with a --web.config.file
holding tls_server_config (client certificates verified when given) and basic_auth_users,
scraped by a real Prometheus over HTTPS with basic auth, and pushed to with Python's ssl.

Checks:
  - Prometheus scrapes over HTTPS with the CA, a client certificate and basic auth (up == 1)
    and sees the pushed events with their exact count;
  - a push over HTTPS with the password is acknowledged; without it, 401;
  - plain HTTP on the TLS port gets no HTTP answer; a client certificate from another CA is
    refused in the handshake; both counted in
    agent_exporter_tls_connections_total{result="handshake_failed"};
  - the exporter logs no error and stops cleanly.

Certificates are made with the `openssl` command in a temporary directory.
  tls_test.py --exporter BUILD/src/app/agent_exporter [--prometheus /usr/bin/prometheus]
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

import exporter_proc as ep

# bcrypt of "wonderland" (tests/app/auth_test.cc).
ALICE_HASH = "$2b$04$tRSiWMmiE4l14g1csK5f7eB4bPhziMDReQ1g07PqIBZ6BCKGMirVm"
ALICE_AUTH = "Basic " + base64.b64encode(b"alice:wonderland").decode()


def sh(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, shell=True, capture_output=True, text=True)
    if r.returncode != 0:
        raise ep.Fail("%s: %s" % (cmd, r.stderr))


def make_certs(d):
    for ca in ("ca", "other-ca"):
        sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
           "-keyout %s.key -out %s.crt -days 2 -subj /CN=agx-tls-test-%s" % (ca, ca, ca), d)
    for name, ca, ext in (("server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                          ("client", "ca", "extendedKeyUsage=clientAuth\n"),
                          ("stranger", "other-ca", "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext)
        sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout %s.key "
           "-out %s.csr -subj /CN=%s" % (name, name, name), d)
        sh("openssl x509 -req -in %s.csr -CA %s.crt -CAkey %s.key -CAcreateserial -out %s.crt "
           "-days 2 -extfile %s.ext" % (name, ca, ca, name, name), d)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def https(port, method, path, ctx, body=None, headers=None):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def client_context(d, cert=None):
    ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.crt"))
    if cert:
        ctx.load_cert_chain(os.path.join(d, cert + ".crt"), os.path.join(d, cert + ".key"))
    return ctx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="agx-tls-")
    procs = []
    ok = False
    try:
        make_certs(tmp)
        web = os.path.join(tmp, "web.yml")
        with open(web, "w") as f:
            f.write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                    "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n"
                    "basic_auth_users:\n  alice: %s\n" % ALICE_HASH)
        config = os.path.join(tmp, "agent_exporter.yml")
        with open(config, "w") as f:
            f.write("web:\n  listen_address: 127.0.0.1:0\n")
        log_path = os.path.join(tmp, "exporter.log")
        exporter = subprocess.Popen([args.exporter, "serve", "--config.file=" + config,
                                     "--web.config.file=" + web],
                                    stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
        procs.append(exporter)
        port = None
        deadline = time.time() + 60
        while port is None and time.time() < deadline:
            if exporter.poll() is not None:
                raise ep.Fail("exporter exited: " + open(log_path).read())
            m = [l for l in open(log_path) if "msg=listening" in l and "tls=true" in l]
            if m:
                port = int(m[0].split("port=")[1].split()[0])
            time.sleep(0.05)
        if port is None:
            raise ep.Fail("exporter did not start: " + open(log_path).read())

        ctx = client_context(tmp, "client")
        # Push over HTTPS: with the password acknowledged, without it 401.
        events = "".join(json.dumps({"type": "run", "agent_id": "tls-agent", "status": "success",
                                     "duration_ms": 100}) + "\n" for _ in range(7)).encode()
        ndjson = {"Content-Type": "application/x-ndjson"}
        status, reply = https(port, "POST", "/v1/events", ctx, events, dict(ndjson, Authorization=ALICE_AUTH))
        if status != 200 or json.loads(reply)["accepted"] != 7:
            raise ep.Fail("push over TLS: %d %r" % (status, reply))
        status, _ = https(port, "POST", "/v1/events", ctx, events, ndjson)
        if status != 401:
            raise ep.Fail("push without credentials: %d, want 401" % status)
        # Without a client certificate (VerifyClientCertIfGiven) but with the password: fine.
        status, body = https(port, "GET", "/metrics", client_context(tmp), headers={"Authorization": ALICE_AUTH})
        if status != 200 or b'agent_requests_total{agent_id="tls-agent",status="success"} 7' not in body:
            raise ep.Fail("scrape over TLS without a client certificate: %d" % status)

        # Refused in the handshake: plain HTTP, and a certificate from another CA.
        try:
            ep.request(port, "GET", "/metrics", timeout=10)
            raise ep.Fail("plain HTTP on the TLS port was answered")
        except (OSError, http.client.HTTPException):
            pass
        try:
            https(port, "GET", "/metrics", client_context(tmp, "stranger"), headers={"Authorization": ALICE_AUTH})
            raise ep.Fail("a client certificate from another CA was accepted")
        except (ssl.SSLError, OSError):
            pass

        # A real Prometheus scrapes over HTTPS with a client certificate and basic auth.
        prom_port = free_port()
        prom_cfg = os.path.join(tmp, "prometheus.yml")
        with open(prom_cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: agent_exporter\n    scheme: https\n"
                    "    tls_config:\n      ca_file: %s/ca.crt\n      cert_file: %s/client.crt\n"
                    "      key_file: %s/client.key\n"
                    "    basic_auth:\n      username: alice\n      password: wonderland\n"
                    "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % (tmp, tmp, tmp, port))
        prom = subprocess.Popen([args.prometheus, "--config.file=" + prom_cfg,
                                 "--storage.tsdb.path=" + os.path.join(tmp, "prom-data"),
                                 "--web.listen-address=127.0.0.1:%d" % prom_port],
                                stdout=open(os.path.join(tmp, "prometheus.log"), "wb"),
                                stderr=subprocess.STDOUT)
        procs.append(prom)
        query = 'sum(agent_requests_total{agent_id="tls-agent"}) * on() group_left up{job="agent_exporter"}'
        deadline = time.time() + 60
        got = None
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", prom_port, timeout=5)
                conn.request("GET", "/api/v1/query?" + urllib.parse.urlencode({"query": query}))
                res = json.loads(conn.getresponse().read())["data"]["result"]
                conn.close()
                if res:
                    got = float(res[0]["value"][1])
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        if got != 7:
            raise ep.Fail("Prometheus over HTTPS: want 7 runs with up == 1, got %r\n%s" %
                          (got, open(os.path.join(tmp, "prometheus.log")).read()[-2000:]))

        status, body = https(port, "GET", "/metrics", ctx, headers={"Authorization": ALICE_AUTH})
        samples = ep.parse_exposition(body.decode())
        failed = ep.value(samples, "agent_exporter_tls_connections_total", result="handshake_failed")
        accepted = ep.value(samples, "agent_exporter_tls_connections_total", result="accepted")
        if failed is None or failed < 2 or not accepted:
            raise ep.Fail("tls_connections_total: accepted %r, handshake_failed %r (want >= 2)" % (accepted, failed))
        errors = [l for l in open(log_path) if "level=error" in l]
        if errors:
            raise ep.Fail("exporter logged errors: %s" % errors)
        print("TLS end to end: push and scrape over HTTPS with basic auth, Prometheus up with a "
              "client certificate, %d refused handshakes counted, %d accepted" % (failed, accepted))
        ok = True
    except ep.Fail as e:
        print("FAIL: %s" % e)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("(temp dir kept: %s)" % tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
