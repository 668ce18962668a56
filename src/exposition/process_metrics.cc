// Process self-metrics from procfs, computed the way client_golang's process collector
// does (prometheus/procfs): CPU = (utime + stime) / USER_HZ, RSS = pages × page size,
// start = btime + starttime / USER_HZ, open fds = entries of /proc/self/fd, max fds =
// the soft "Max open files" limit. A source that cannot be read leaves its families out
// and logs one warning per source for the life of the process (not one per scrape).
#include "exposition/process_metrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "common/log.h"

namespace agx {
namespace {

// Reads a whole (small) procfs file. procfs reports size 0, so read until EOF.
bool ReadFile(const char* path, std::string* out, int* err) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  char buf[4096];
  bool ok = true;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out->append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      *err = errno;
      ok = false;
      break;
    }
  }
  ::close(fd);
  return ok;
}

enum Source { kStat, kFd, kLimits, kBootTime, kSourceCount };

void WarnOnce(Source source, const char* path, std::string_view why) {
  static std::atomic<bool> warned[kSourceCount];
  if (warned[source].exchange(true)) return;
  log::Warn("cannot read process metrics source",
            {{"path", path}, {"err", why}});
}

std::string_view NextField(std::string_view* rest) {
  std::size_t i = 0;
  while (i < rest->size() && ((*rest)[i] == ' ' || (*rest)[i] == '\t')) ++i;
  std::size_t j = i;
  while (j < rest->size() && (*rest)[j] != ' ' && (*rest)[j] != '\t' && (*rest)[j] != '\n') {
    ++j;
  }
  std::string_view field = rest->substr(i, j - i);
  rest->remove_prefix(j);
  return field;
}

bool ParseU64(std::string_view s, std::uint64_t* v) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

struct Stat {
  std::uint64_t utime = 0, stime = 0, starttime = 0, vsize = 0, rss_pages = 0;
};

// /proc/self/stat: "pid (comm) state ppid …". comm may hold spaces and parentheses, so
// fields are counted from the last ')'. Field numbers as in proc(5).
bool ParseStat(std::string_view text, Stat* st) {
  const std::size_t paren = text.rfind(')');
  if (paren == std::string_view::npos) return false;
  std::string_view rest = text.substr(paren + 1);
  std::uint64_t* targets[25] = {};
  targets[14] = &st->utime;
  targets[15] = &st->stime;
  targets[22] = &st->starttime;
  targets[23] = &st->vsize;
  targets[24] = &st->rss_pages;
  for (int field = 3; field <= 24; ++field) {
    const std::string_view f = NextField(&rest);
    if (f.empty()) return false;
    if (targets[field] != nullptr && !ParseU64(f, targets[field])) return false;
  }
  return true;
}

// /proc/stat: the "btime <seconds>" line.
bool ParseBootTime(std::string_view text, std::uint64_t* btime) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.starts_with("btime ")) {
      line.remove_prefix(6);
      return ParseU64(NextField(&line), btime);
    }
    pos = end + 1;
  }
  return false;
}

// /proc/self/limits: "Max open files            1024                 1048576      files".
bool ParseMaxOpenFiles(std::string_view text, double* max_fds) {
  constexpr std::string_view kRow = "Max open files";
  const std::size_t pos = text.find(kRow);
  if (pos == std::string_view::npos) return false;
  std::string_view rest = text.substr(pos + kRow.size());
  const std::string_view soft = NextField(&rest);
  if (soft == "unlimited") {
    // procfs (and so client_golang) reports unlimited as the largest uint64.
    *max_fds = static_cast<double>(std::numeric_limits<std::uint64_t>::max());
    return true;
  }
  std::uint64_t v;
  if (!ParseU64(soft, &v)) return false;
  *max_fds = static_cast<double>(v);
  return true;
}

bool CountOpenFds(double* open_fds, int* err) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    *err = errno;
    return false;
  }
  std::uint64_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  *open_fds = static_cast<double>(n);
  return true;
}

// Appends a family with one unlabelled series unless one of that name is already there
// (so calling this twice cannot emit a duplicate family, which would fail the scrape).
void AddFamily(Snapshot* snapshot, const char* name, MetricType type, const char* help,
               double value) {
  if (snapshot->Find(name) != nullptr) return;
  FamilySnapshot f;
  f.name = name;
  f.type = type;
  f.help = help;
  SeriesSnapshot s;
  s.value = value;
  f.series.push_back(std::move(s));
  snapshot->families.push_back(std::move(f));
}

}  // namespace

void AppendProcessMetrics(Snapshot* snapshot) {
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const double hz = ticks > 0 ? static_cast<double>(ticks) : 100.0;
  std::string text;
  int err = 0;
  Stat st;
  bool have_stat = false;
  if (!ReadFile("/proc/self/stat", &text, &err)) {
    WarnOnce(kStat, "/proc/self/stat", std::strerror(err));
  } else if (!(have_stat = ParseStat(text, &st))) {
    WarnOnce(kStat, "/proc/self/stat", "unexpected format");
  }
  if (have_stat) {
    AddFamily(snapshot, "process_cpu_seconds_total", MetricType::kCounter,
              "Total user and system CPU time spent in seconds.",
              static_cast<double>(st.utime + st.stime) / hz);
  }

  double open_fds = 0;
  if (CountOpenFds(&open_fds, &err)) {
    AddFamily(snapshot, "process_open_fds", MetricType::kGauge,
              "Number of open file descriptors.", open_fds);
  } else {
    WarnOnce(kFd, "/proc/self/fd", std::strerror(err));
  }

  text.clear();
  double max_fds = 0;
  if (!ReadFile("/proc/self/limits", &text, &err)) {
    WarnOnce(kLimits, "/proc/self/limits", std::strerror(err));
  } else if (!ParseMaxOpenFiles(text, &max_fds)) {
    WarnOnce(kLimits, "/proc/self/limits", "no \"Max open files\" row");
  } else {
    AddFamily(snapshot, "process_max_fds", MetricType::kGauge,
              "Maximum number of open file descriptors.", max_fds);
  }

  if (have_stat) {
    const long page = ::sysconf(_SC_PAGESIZE);
    AddFamily(snapshot, "process_virtual_memory_bytes", MetricType::kGauge,
              "Virtual memory size in bytes.", static_cast<double>(st.vsize));
    AddFamily(snapshot, "process_resident_memory_bytes", MetricType::kGauge,
              "Resident memory size in bytes.",
              static_cast<double>(st.rss_pages) * static_cast<double>(page > 0 ? page : 4096));
    text.clear();
    std::uint64_t btime = 0;
    if (!ReadFile("/proc/stat", &text, &err)) {
      WarnOnce(kBootTime, "/proc/stat", std::strerror(err));
    } else if (!ParseBootTime(text, &btime)) {
      WarnOnce(kBootTime, "/proc/stat", "no btime line");
    } else {
      AddFamily(snapshot, "process_start_time_seconds", MetricType::kGauge,
                "Start time of the process since unix epoch in seconds.",
                static_cast<double>(btime) + static_cast<double>(st.starttime) / hz);
    }
  }
}

}  // namespace agx
