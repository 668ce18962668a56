// Content negotiation on the Accept header (RFC 9110 §12.5.1): comma-separated media
// ranges, each with `;`-separated parameters and an optional q weight. Parsing works on
// string_views over the header: no allocation. Malformed media ranges are ignored, as a
// server should; the fallback is the text format every scraper reads.
#include <string_view>

#include "exposition/exposition.h"

namespace agx {
namespace {

constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// RFC 9110 tchar.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// Takes the text up to the next `sep` that is not inside a quoted string off `*rest`.
std::string_view NextPiece(std::string_view* rest, char sep) {
  bool quoted = false;
  for (std::size_t i = 0; i < rest->size(); ++i) {
    const char c = (*rest)[i];
    if (quoted) {
      if (c == '\\') {
        ++i;  // quoted-pair: skip the escaped character
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      std::string_view piece = rest->substr(0, i);
      rest->remove_prefix(i + 1);
      return piece;
    }
  }
  std::string_view piece = *rest;
  *rest = {};
  return piece;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
bool ParseQ(std::string_view s, double* q) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return false;
  double value = s[0] - '0';
  if (s.size() > 1) {
    if (s[1] != '.' || s.size() > 5) return false;
    double scale = 0.1;
    for (char c : s.substr(2)) {
      if (c < '0' || c > '9' || (s[0] == '1' && c != '0')) return false;
      value += (c - '0') * scale;
      scale /= 10;
    }
  }
  *q = value;
  return true;
}

struct MediaRange {
  std::string_view type;
  std::string_view subtype;
  std::string_view version;  // empty when absent
  double q = 1;
};

bool ParseMediaRange(std::string_view element, MediaRange* out) {
  std::string_view rest = element;
  const std::string_view media = Trim(NextPiece(&rest, ';'));
  const std::size_t slash = media.find('/');
  if (slash == std::string_view::npos) return false;
  out->type = media.substr(0, slash);
  out->subtype = media.substr(slash + 1);
  if (!IsToken(out->type) || !IsToken(out->subtype)) return false;
  while (!rest.empty()) {
    const std::string_view param = Trim(NextPiece(&rest, ';'));
    if (param.empty()) continue;
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view name = Trim(param.substr(0, eq));
    std::string_view value = Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (EqualsIgnoreCase(name, "q")) {
      if (!ParseQ(value, &out->q)) return false;
    } else if (EqualsIgnoreCase(name, "version")) {
      out->version = value;
    }
  }
  return true;
}

}  // namespace

ExpositionFormat Negotiate(std::string_view accept) {
  // Best q per kind of range; -1 = no such range in the header.
  double openmetrics = -1, text_plain = -1, text_any = -1, any = -1;
  std::string_view rest = accept;
  while (!rest.empty()) {
    const std::string_view element = Trim(NextPiece(&rest, ','));
    MediaRange r;
    if (element.empty() || !ParseMediaRange(element, &r)) continue;
    double* slot = nullptr;
    if (EqualsIgnoreCase(r.type, "application") &&
        EqualsIgnoreCase(r.subtype, "openmetrics-text")) {
      // We write 1.0.0; Prometheus's OpenMetrics parser reads it for 0.0.1 requests too.
      // A request for some other (future) version only is not one we can satisfy.
      if (r.version.empty() || r.version == "1.0.0" || r.version == "0.0.1") {
        slot = &openmetrics;
      }
    } else if (EqualsIgnoreCase(r.type, "text") && EqualsIgnoreCase(r.subtype, "plain")) {
      slot = &text_plain;
    } else if (EqualsIgnoreCase(r.type, "text") && r.subtype == "*") {
      slot = &text_any;
    } else if (r.type == "*" && r.subtype == "*") {
      slot = &any;
    }
    if (slot != nullptr && r.q > *slot) *slot = r.q;
  }
  // The most specific range that matches text/plain decides its weight (RFC 9110:
  // `text/plain;q=0,*/*` refuses text/plain although */* is acceptable).
  const double text = text_plain >= 0 ? text_plain
                      : text_any >= 0 ? text_any
                      : any >= 0      ? any
                                      : 0;
  return openmetrics > 0 && openmetrics >= text ? ExpositionFormat::kOpenMetrics
                                                : ExpositionFormat::kText;
}

std::string_view ContentType(ExpositionFormat format) {
  return format == ExpositionFormat::kOpenMetrics ? kOpenMetricsContentType
                                                  : kTextContentType;
}

}  // namespace agx
