// bench_tail_scan: what following a tree of mostly idle session files costs the tailer.
//
// Lays out FILES files in PROJECTS project directories the way Claude Code does
// (root/pNNN/sNNNN.jsonl and root/pNNN/s0/subagents/aNNNN.jsonl: 70 % sessions, 30 %
// sub-agent files; 5000 files and 50 projects make 151 directories), one line each, then
// tails them with one `**` pattern (or, with --glob, the two equivalent one-level globs)
// and measures, as CPU time of this process (user + system):
// - the first Poll(), which finds and reads every file;
// - a poll that scans (expands the patterns) with nothing new: what every poll cost before
//   scan_interval, the steady state of a heavy user with thousands of idle transcripts;
// - a poll between scans with nothing new (checks the known files only);
// - with --run-seconds S: Run() for S seconds at the default poll_interval (250 ms) and
//   the given scan interval, idle: CPU share of one core;
// and checks that a line appended to one file is delivered, and counts the descriptors
// open (/proc/self/fd).
//   bench_tail_scan [--dir DIR] [--files 5000] [--projects 50] [--polls 40] [--glob]
//                   [--scan-interval-ms 1000] [--max-open-files 256] [--run-seconds 0]
// Prints key=value pairs on one line. Asserts nothing about time.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tail/file_tailer.h"

namespace {

namespace fs = std::filesystem;

struct Args {
  std::string dir;
  int files = 5000;
  int projects = 50;
  int polls = 40;
  bool glob = false;
  long scan_interval_ms = 1000;
  long max_open_files = 256;
  double run_seconds = 0;
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "bench_tail_scan: %s\n", msg.c_str());
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + k);
      return argv[++i];
    };
    if (k == "--dir") a.dir = next();
    else if (k == "--files") a.files = std::stoi(next());
    else if (k == "--projects") a.projects = std::stoi(next());
    else if (k == "--polls") a.polls = std::stoi(next());
    else if (k == "--glob") a.glob = true;
    else if (k == "--scan-interval-ms") a.scan_interval_ms = std::stol(next());
    else if (k == "--max-open-files") a.max_open_files = std::stol(next());
    else if (k == "--run-seconds") a.run_seconds = std::stod(next());
    else Die("unknown option " + k);
  }
  if (a.files < 1 || a.projects < 1 || a.polls < 1) Die("counts must be positive");
  return a;
}

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int OpenFds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

class CountingSink : public agx::TailSink {
 public:
  void OnLines(const agx::FilePosition&, std::span<const std::string_view> lines,
               std::size_t) override {
    lines_ += lines.size();
  }
  std::size_t lines_ = 0;
};

// Writes the tree; returns the path of one sub-agent file (appended to later).
std::string Layout(const std::string& root, int files, int projects) {
  const std::string line(200, 'x');
  std::string some_agent;
  for (int p = 0; p < projects; ++p) {
    char project[32];
    std::snprintf(project, sizeof project, "/p%03d", p);
    const std::string pdir = root + project;
    fs::create_directories(pdir + "/s0/subagents");
    const int here = files / projects + (p < files % projects ? 1 : 0);
    for (int f = 0; f < here; ++f) {
      char name[64];
      if (f < here * 7 / 10) {
        std::snprintf(name, sizeof name, "/s%04d.jsonl", f);
        std::ofstream(pdir + name) << line << "\n";
      } else {
        std::snprintf(name, sizeof name, "/s0/subagents/a%04d.jsonl", f);
        std::ofstream(pdir + name) << line << "\n";
        some_agent = pdir + name;
      }
    }
  }
  return some_agent;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  rlimit lim{};  // as the exporter does at start (src/app/main.cc)
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  bool own_dir = a.dir.empty();
  if (own_dir) {
    std::string tmpl = (fs::temp_directory_path() / "agx_tail_scan_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed");
    a.dir = tmpl;
  }
  const std::string root = a.dir + "/projects";
  fs::remove_all(root);
  const std::string agent = Layout(root, a.files, a.projects);

  agx::TailOptions o;
  if (a.glob) {
    o.patterns = {root + "/*/*.jsonl", root + "/*/*/subagents/*.jsonl"};
  } else {
    o.patterns = {root + "/**/*.jsonl"};
  }
  o.max_open_files = static_cast<std::size_t>(a.max_open_files);
  const int fds_before = OpenFds();

  // Every poll scans: the cost of a scan.
  o.scan_interval = std::chrono::milliseconds(0);
  double first_ms = 0, scan_ms = 0, check_ms = 0, append_ms = 0, run_share = 0;
  int open_fds = 0;
  {
    CountingSink sink;
    agx::FileTailer tailer(o, &sink);
    double c0 = CpuSeconds();
    tailer.Poll();
    first_ms = (CpuSeconds() - c0) * 1e3;
    if (sink.lines_ != static_cast<std::size_t>(a.files)) {
      Die("first poll delivered " + std::to_string(sink.lines_) + " lines, want " +
          std::to_string(a.files));
    }
    c0 = CpuSeconds();
    for (int i = 0; i < a.polls; ++i) tailer.Poll();
    scan_ms = (CpuSeconds() - c0) * 1e3 / a.polls;
  }
  // Scans far apart: the cost of a poll between scans, and of one that reads a new line.
  o.scan_interval = std::chrono::hours(1);
  {
    CountingSink sink;
    agx::FileTailer tailer(o, &sink);
    tailer.Poll();
    double c0 = CpuSeconds();
    for (int i = 0; i < a.polls; ++i) tailer.Poll();
    check_ms = (CpuSeconds() - c0) * 1e3 / a.polls;
    std::ofstream(agent, std::ios::app) << "appended\n";
    c0 = CpuSeconds();
    tailer.Poll();
    append_ms = (CpuSeconds() - c0) * 1e3;
    if (sink.lines_ != static_cast<std::size_t>(a.files) + 1) Die("appended line not delivered");
    open_fds = OpenFds() - fds_before;
  }
  // Run() as the exporter does, idle, at the configured scan interval.
  if (a.run_seconds > 0) {
    o.scan_interval = std::chrono::milliseconds(a.scan_interval_ms);
    CountingSink sink;
    agx::FileTailer tailer(o, &sink);
    tailer.Poll();
    std::atomic<bool> stop{false};
    const double c0 = CpuSeconds(), w0 = WallSeconds();
    std::thread runner([&] { tailer.Run(stop); });
    std::this_thread::sleep_for(std::chrono::duration<double>(a.run_seconds));
    stop = true;
    runner.join();
    run_share = (CpuSeconds() - c0) / (WallSeconds() - w0) * 100;
  }

  std::printf(
      "files=%d dirs=%d mode=%s max_open_files=%ld first_poll_cpu_ms=%.1f "
      "scan_poll_cpu_ms=%.2f check_poll_cpu_ms=%.2f append_poll_cpu_ms=%.2f open_fds=%d",
      a.files, 1 + 3 * a.projects, a.glob ? "glob" : "recursive", a.max_open_files, first_ms,
      scan_ms, check_ms, append_ms, open_fds);
  if (a.run_seconds > 0) {
    std::printf(" run_seconds=%.0f scan_interval_ms=%ld run_cpu_share=%.2f%%", a.run_seconds,
                a.scan_interval_ms, run_share);
  }
  std::printf("\n");
  if (own_dir) fs::remove_all(a.dir);
  return 0;
}
