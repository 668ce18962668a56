#include "exposition/process_metrics.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <limits>
#include <string>

namespace agx {
namespace {

double ValueOf(const Snapshot& snap, std::string_view name) {
  const FamilySnapshot* f = snap.Find(name);
  if (f == nullptr || f->series.size() != 1) {
    ADD_FAILURE() << "missing " << name;
    return std::nan("");
  }
  return f->series[0].value;
}

double TimesCpuSeconds() {
  tms t{};
  ::times(&t);
  return static_cast<double>(t.tms_utime + t.tms_stime) / ::sysconf(_SC_CLK_TCK);
}

TEST(ProcessMetricsTest, AppendsClientGolangFamilies) {
  Snapshot snap;
  AppendProcessMetrics(&snap);
  struct Want {
    const char* name;
    MetricType type;
    const char* help;
  };
  const Want wants[] = {
      {"process_cpu_seconds_total", MetricType::kCounter,
       "Total user and system CPU time spent in seconds."},
      {"process_open_fds", MetricType::kGauge, "Number of open file descriptors."},
      {"process_max_fds", MetricType::kGauge, "Maximum number of open file descriptors."},
      {"process_virtual_memory_bytes", MetricType::kGauge, "Virtual memory size in bytes."},
      {"process_resident_memory_bytes", MetricType::kGauge, "Resident memory size in bytes."},
      {"process_start_time_seconds", MetricType::kGauge,
       "Start time of the process since unix epoch in seconds."},
  };
  ASSERT_EQ(snap.families.size(), std::size(wants));
  for (const Want& w : wants) {
    SCOPED_TRACE(w.name);
    const FamilySnapshot* f = snap.Find(w.name);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->type, w.type);
    EXPECT_EQ(f->help, w.help);
    EXPECT_TRUE(f->label_names.empty());
    ASSERT_EQ(f->series.size(), 1u);
    EXPECT_TRUE(f->series[0].label_values.empty());
  }
}

TEST(ProcessMetricsTest, ValuesAgreeWithTheKernel) {
  // Burn a little CPU so the counter is not trivially zero.
  volatile double sink = 0;
  for (int i = 0; i < 2000000; ++i) sink = sink + i * 0.5;

  const double cpu_before = TimesCpuSeconds();
  Snapshot snap;
  AppendProcessMetrics(&snap);
  const double cpu_after = TimesCpuSeconds();
  const double tick = 1.0 / ::sysconf(_SC_CLK_TCK);

  const double cpu = ValueOf(snap, "process_cpu_seconds_total");
  EXPECT_GE(cpu, cpu_before - tick);
  EXPECT_LE(cpu, cpu_after + tick);

  rlimit lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  const double want_max = lim.rlim_cur == RLIM_INFINITY
                              ? static_cast<double>(std::numeric_limits<std::uint64_t>::max())
                              : static_cast<double>(lim.rlim_cur);
  EXPECT_EQ(ValueOf(snap, "process_max_fds"), want_max);

  const double rss = ValueOf(snap, "process_resident_memory_bytes");
  const double vsize = ValueOf(snap, "process_virtual_memory_bytes");
  EXPECT_GT(rss, 0);
  EXPECT_EQ(std::fmod(rss, static_cast<double>(::sysconf(_SC_PAGESIZE))), 0);
  EXPECT_GE(vsize, rss);

  std::ifstream stat("/proc/stat");
  std::string word;
  double btime = 0;
  while (stat >> word) {
    if (word == "btime") {
      stat >> btime;
      break;
    }
  }
  ASSERT_GT(btime, 0);
  const double start = ValueOf(snap, "process_start_time_seconds");
  EXPECT_GE(start, btime);
  EXPECT_LE(start, static_cast<double>(std::time(nullptr)) + 1);
}

TEST(ProcessMetricsTest, OpenFdsFollowDescriptors) {
  Snapshot before;
  AppendProcessMetrics(&before);
  int fds[3];
  for (int& fd : fds) {
    fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
  }
  Snapshot during;
  AppendProcessMetrics(&during);
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(ValueOf(during, "process_open_fds") - ValueOf(before, "process_open_fds"), 3);
  EXPECT_GE(ValueOf(before, "process_open_fds"), 3);  // at least stdin, stdout, stderr
}

// comm (field 2 of /proc/self/stat) may contain spaces and parentheses; fields must be
// counted from the last ')'. PR_SET_NAME on the main thread changes the process's comm.
TEST(ProcessMetricsTest, ParsesStatWhenCommHasParenthesesAndSpaces) {
  char saved[17] = {};
  ASSERT_EQ(::prctl(PR_GET_NAME, saved), 0);
  ASSERT_EQ(::prctl(PR_SET_NAME, ") 1 2 (x) y"), 0);
  std::string stat;
  std::getline(std::ifstream("/proc/self/stat"), stat);
  Snapshot snap;
  AppendProcessMetrics(&snap);
  ::prctl(PR_SET_NAME, saved);
  ASSERT_NE(stat.find("() 1 2 (x) y)"), std::string::npos) << stat;  // the name took
  EXPECT_EQ(snap.families.size(), 6u);
  EXPECT_GT(ValueOf(snap, "process_resident_memory_bytes"), 0);
  EXPECT_GE(ValueOf(snap, "process_cpu_seconds_total"), 0);
}

TEST(ProcessMetricsTest, SecondCallAddsNoDuplicates) {
  Snapshot snap;
  AppendProcessMetrics(&snap);
  AppendProcessMetrics(&snap);
  EXPECT_EQ(snap.families.size(), 6u);
}

}  // namespace
}  // namespace agx
