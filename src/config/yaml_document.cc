#include "config/yaml_document.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace agx::config_detail {
namespace {

/// Notes where a document's content starts (its first node, else the document's start, as
/// a `---` line); ignores the content itself.
class DocumentStart : public YAML::EventHandler {
 public:
  YAML::Mark mark;
  void OnDocumentStart(const YAML::Mark& m) override { mark = m; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { First(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { First(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    First(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    First(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    First(m);
  }
  void OnMapEnd() override {}

 private:
  void First(const YAML::Mark& m) {
    if (!node_seen_) mark = m;
    node_seen_ = true;
  }
  bool node_seen_ = false;
};

// Documents counted before giving up: real files have one, a mistaken one a few.
constexpr int kMaxCounted = 16;

}  // namespace

std::optional<YAML::Node> LoadSingleDocument(const std::string& text, std::string_view what,
                                             Diagnostics* d) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStart first;
  if (!parser.HandleNextDocument(first)) return std::nullopt;  // no document
  DocumentStart second;
  if (parser.HandleNextDocument(second)) {
    int n = 2;
    DocumentStart more;
    while (n < kMaxCounted && parser.HandleNextDocument(more)) ++n;
    std::string message = "a " + std::string(what) + " holds one YAML document";
    message += n < kMaxCounted ? ", found " + std::to_string(n) : "; more content follows here";
    d->Add(second.mark, message);
    return std::nullopt;
  }
  return YAML::Load(text);
}

}  // namespace agx::config_detail
