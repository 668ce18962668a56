#pragma once
// Test certificates made with the real `openssl` command in a temporary directory: a CA, a
// server certificate for 127.0.0.1 and localhost signed by it, a client certificate signed
// by it, and a second CA with a server and a client certificate of its own. EC P-256 keys,
// valid for two days. Also RunCommand(): a shell command's exit status and output, for curl.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace agx::testutil {

struct CommandResult {
  int status = -1;  ///< exit status; -1 when it could not run
  std::string output;  ///< stdout and stderr
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class TestCertificates {
 public:
  TestCertificates() {
    char tmpl[] = "/tmp/agx-tls-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ok_ = MakeCa("ca") && MakeCa("ca2") && MakeLeaf("server", "ca", true) &&
          MakeLeaf("client", "ca", false) && MakeLeaf("server2", "ca2", true) &&
          MakeLeaf("client2", "ca2", false);
  }
  ~TestCertificates() { std::filesystem::remove_all(dir_); }

  bool ok() const { return ok_; }
  const std::string& log() const { return log_; }
  /// dir/name, e.g. Path("server.crt").
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  bool Step(const std::string& command) {
    CommandResult r = RunCommand(command);
    log_ += "$ " + command + "\n" + r.output;
    return r.status == 0;
  }
  bool MakeCa(const std::string& name) {
    return Step("cd " + dir_ + " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                "-nodes -keyout " + name + ".key -out " + name + ".crt -days 2 -subj /CN=agx-test-" +
                name);
  }
  bool MakeLeaf(const std::string& name, const std::string& ca, bool server) {
    std::ofstream(Path(name + ".ext"))
        << (server ? "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                   : "extendedKeyUsage=clientAuth\n");
    return Step("cd " + dir_ + " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                "-keyout " + name + ".key -out " + name + ".csr -subj /CN=" + name) &&
           Step("cd " + dir_ + " && openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " +
                ca + ".key -CAcreateserial -out " + name + ".crt -days 2 -extfile " + name + ".ext");
  }

  std::string dir_;
  std::string log_;
  bool ok_ = false;
};

}  // namespace agx::testutil
