#include "app/explain_otlp.h"

#include <nlohmann/json.hpp>

#include "otlp/decode.h"
#include "otlp/mapper.h"
#include "otlp/otlp_ingest.h"
#include "state/file_util.h"

namespace agx {
namespace {

using nlohmann::json;

// Whole files may be large; an explanation is for a capture, so refuse absurd sizes.
constexpr std::size_t kMaxFileBytes = std::size_t{256} << 20;

struct Totals {
  std::size_t requests = 0, items = 0, rejected = 0;
  std::map<std::string, std::size_t> outcomes;  // "llm_call", "dropped:not_genai", …
};

std::string Short(std::string_view id) { return id.empty() ? "-" : std::string(id); }

void PrintSpanText(const otlp::SpanExplanation& e, std::ostream& out) {
  out << "  span " << e.index + 1 << " '" << e.name << "' scope '" << e.scope << "' trace "
      << Short(e.trace_id) << " span " << Short(e.span_id) << " parent " << Short(e.parent_span_id)
      << "\n";
  if (e.outcome == "dropped" || e.outcome == "rejected") {
    out << "    -> " << e.outcome << " (" << e.reason << "): " << e.detail;
  } else {
    out << "    -> " << e.outcome;
  }
  if (!e.rule.empty()) out << " [rule " << e.rule << ", " << e.rule_origin << "]";
  out << "\n";
  if (!e.line.empty()) out << "       " << e.line << "\n";
}

json SpanJson(const std::string& where, const otlp::SpanExplanation& e) {
  json j{{"at", where},           {"index", e.index},   {"name", e.name},
         {"trace_id", e.trace_id}, {"span_id", e.span_id}, {"parent_span_id", e.parent_span_id},
         {"scope", e.scope},       {"rule", e.rule},     {"rule_origin", e.rule_origin},
         {"outcome", e.outcome},   {"reason", e.reason}, {"detail", e.detail}};
  if (!e.line.empty()) j["event"] = json::parse(e.line);
  return j;
}

// Maps one request (acknowledged at once, as a tailed file line is) and prints it.
void ExplainRequest(const otlp::Mapper& mapper, const otlp::ExportRequest& request,
                    const std::string& where, ExplainFormat format, std::ostream& out,
                    Totals* totals) {
  otlp::MappedBatch batch;
  std::vector<otlp::SpanExplanation> spans;
  batch.explain = &spans;
  mapper.Map(request, &batch);
  const auto signal = std::string(otlp::SignalName(request.signal));
  if (batch.too_large) {  // `serve` answers 413 and applies nothing
    mapper.span_memory().Rollback(batch.span_updates);
    const std::string why = "refused (413): " + otlp::TooManyEventsMessage(mapper.limits());
    ++totals->requests;
    if (format == ExplainFormat::kJson) {
      out << json{{"at", where}, {"signal", signal}, {"refused", why}}.dump() << "\n";
    } else {
      out << where << ": " << signal << ", " << why << "\n";
    }
    return;
  }
  mapper.span_memory().Commit(batch.span_updates);
  ++totals->requests;
  totals->items += batch.items;
  totals->rejected += batch.rejected;
  for (const auto& e : spans) {
    ++totals->outcomes[e.outcome == "dropped" || e.outcome == "rejected" ? e.outcome + ":" + e.reason
                                                                         : e.outcome];
  }
  if (format == ExplainFormat::kJson) {
    for (const auto& e : spans) out << SpanJson(where, e).dump() << "\n";
    if (request.signal != otlp::Signal::kTraces) {
      json j{{"at", where}, {"signal", signal}, {"items", batch.items},
             {"rejected", batch.rejected}, {"events", json::array()}, {"dropped", json::object()}};
      for (auto line : batch.lines) j["events"].push_back(json::parse(line));
      for (std::size_t r = 0; r < otlp::kDropReasonCount; ++r) {
        if (batch.dropped[r] > 0) {
          j["dropped"][std::string(otlp::DropReasonName(static_cast<otlp::DropReason>(r)))] =
              batch.dropped[r];
        }
      }
      if (!batch.first_error.empty()) j["first_error"] = batch.first_error;
      out << j.dump() << "\n";
    }
    return;
  }
  out << where << ": " << signal << ", " << batch.items << " item(s)\n";
  for (const auto& e : spans) PrintSpanText(e, out);
  if (request.signal == otlp::Signal::kTraces) return;
  for (auto line : batch.lines) out << "  -> " << line << "\n";
  for (std::size_t r = 0; r < otlp::kDropReasonCount; ++r) {
    if (batch.dropped[r] > 0) {
      out << "  dropped (" << otlp::DropReasonName(static_cast<otlp::DropReason>(r))
          << "): " << batch.dropped[r] << "\n";
    }
  }
  if (batch.rejected > 0) out << "  rejected: " << batch.rejected << " (" << batch.first_error << ")\n";
}

}  // namespace

int RunExplainOtlp(const Config& config, ExplainFormat format,
                   const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  otlp::Mapper mapper(config.otlp, 0, otlp::MapLimitsFor(config));
  otlp::DecodeLimits limits;
  limits.max_attributes = config.otlp.max_attributes;
  limits.max_depth = config.otlp.max_depth;
  limits.max_items = config.otlp.max_items_per_request;
  Totals totals;
  int exit_code = 0;
  for (const auto& path : files) {
    bool missing = false;
    auto text = state_detail::ReadWholeFile(path, &missing);
    if (!text.ok() || missing) {
      err << "explain-otlp: cannot read " << path << ": " << (missing ? "no such file" : text.error())
          << "\n";
      exit_code = 1;
      continue;
    }
    if (text->size() > kMaxFileBytes) {
      err << "explain-otlp: " << path << ": larger than 256 MiB\n";
      exit_code = 1;
      continue;
    }
    // One request over the whole file (pretty-printed), else one per line.
    if (auto whole = otlp::DecodeJsonAnySignal(*text, limits); whole.ok()) {
      ExplainRequest(mapper, *whole, path, format, out, &totals);
      continue;
    }
    std::string_view rest(*text);
    for (std::size_t line_no = 1; !rest.empty(); ++line_no) {
      const std::size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      const std::string where = path + ":" + std::to_string(line_no);
      auto request = otlp::DecodeJsonAnySignal(line, limits);
      if (!request.ok()) {
        err << where << ": " << request.error() << "\n";
        exit_code = 1;
        continue;
      }
      ExplainRequest(mapper, *request, where, format, out, &totals);
    }
  }
  if (format == ExplainFormat::kText) {
    out << "summary: " << totals.requests << " request(s), " << totals.items << " item(s)";
    for (const auto& [outcome, n] : totals.outcomes) out << ", " << outcome << " " << n;
    out << "\n";
  }
  return exit_code;
}

}  // namespace agx
