#pragma once
// The in-process exporter fixture shared by the app tests: an Exporter on 127.0.0.1:0 with
// a temp dir, a push helper, and scrapes parsed by exact series. Not thread-safe (a test
// fixture).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "app/exporter.h"
#include "http/http_client.h"

namespace agx {

inline const testutil::HttpHeaders kNdjson = {{"Content-Type", "application/x-ndjson"}};
inline const testutil::HttpHeaders kOpenMetrics = {
    {"Accept",
     "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
     "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"}};

/// Value of the sample line that starts with `series` (name and labels exactly as
/// exposed), or NaN when absent.
inline double Sample(const std::string& body, const std::string& series) {
  std::size_t pos = 0;
  while ((pos = body.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || body[pos - 1] == '\n') {
      return std::strtod(body.c_str() + pos + series.size() + 1, nullptr);
    }
    pos += series.size();
  }
  return std::nan("");
}

class ExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agx-exporter-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    config_ = Config::Defaults();
    config_.web.listen_address = "127.0.0.1:0";
    config_.ingest.poll_interval = std::chrono::milliseconds(10);
  }
  void TearDown() override {
    exporter_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Start() {
    exporter_ = std::make_unique<Exporter>(config_);
    auto s = exporter_->Start();
    ASSERT_TRUE(s.ok()) << s.error();
  }

  testutil::HttpResult Push(const std::string& body, testutil::HttpHeaders headers = kNdjson) {
    return testutil::Request(exporter_->port(), "POST", "/v1/events", headers, body);
  }

  std::string Metrics() {
    testutil::HttpResult r = testutil::Request(exporter_->port(), "GET", "/metrics", kOpenMetrics);
    EXPECT_EQ(r.status, 200);
    return r.body;
  }

  /// Polls /metrics until `series` reaches `want` (tailing is asynchronous).
  std::string WaitFor(const std::string& series, double want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string body;
    while (std::chrono::steady_clock::now() < deadline) {
      body = Metrics();
      if (Sample(body, series) == want) return body;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << series << " never reached " << want << "\n" << body;
    return body;
  }

  std::string dir_;
  Config config_;
  std::unique_ptr<Exporter> exporter_;
};

}  // namespace agx
