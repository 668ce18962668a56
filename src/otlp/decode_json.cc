// Decoding of OTLP JSON export requests (the OTLP JSON mapping of opentelemetry-proto:
// lowerCamelCase keys, hex trace and span ids, integer enums, 64-bit integers as numbers or
// decimal strings, doubles as numbers or "NaN" / "Infinity" / "-Infinity"). Unknown keys
// are ignored; `null` is the same as an absent field; a known key with a value of the
// wrong JSON type fails the request with its path ("resourceSpans[0].scopeSpans[1].spans:
// expected an array").
//
// The document is parsed with the simdjson DOM parser, whose nesting limit is
// DecodeLimits::max_depth (objects and arrays; simdjson also rejects invalid UTF-8 anywhere
// in the body). String views of the result point into the parser's string buffer, which the
// request's `storage` owns. The parser's index takes up to about 10 times the body while the
// request is decoded (docs/otlp.md, "Limits of a request").
//
// Size (decode_budget.h): a body large enough to hold more than DecodeLimits::max_items
// items has them counted first, in one pass over its bytes (json_item_count.h), and is
// refused before simdjson indexes it; then the vectors of the model are reserved through the
// budget from the arrays' sizes (which the DOM knows) before their elements are decoded.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "otlp/decode.h"
#include "otlp/decode_budget.h"
#include "otlp/decode_items.h"
#include "otlp/json_item_count.h"

namespace agx::otlp {
namespace {

using decode_detail::MarkAllTooMany;
using decode_detail::SetError;
using decode_detail::SetIdFromHex;
using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr std::string_view kPrefix = "invalid OTLP JSON: ";

/// Where a value is in the document, for error messages; a linked list on the stack, so
/// the happy path never allocates for it.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;  ///< object member (empty with is_index)
  std::size_t index = 0;
  bool is_index = false;
};

void AppendPath(const Path* p, std::string* out) {
  if (p == nullptr) return;
  AppendPath(p->parent, out);
  if (p->is_index) {
    out->append("[").append(std::to_string(p->index)).append("]");
  } else if (!p->key.empty()) {
    if (!out->empty() && out->size() > kPrefix.size()) out->push_back('.');
    out->append(p->key);
  }
}

/// Keys of the three signals' shapes.
struct SignalKeys {
  std::string_view resource_items, scope_items, items;
};
constexpr SignalKeys kKeys[] = {
    {"resourceSpans", "scopeSpans", "spans"},
    {"resourceLogs", "scopeLogs", "logRecords"},
    {"resourceMetrics", "scopeMetrics", "metrics"},
};

class Decoder {
 public:
  Decoder(const DecodeLimits& limits, std::size_t body_bytes)
      : limits_(limits), budget_(limits, body_bytes) {}

  const std::string& error() const { return error_; }
  /// Whether the decode stopped at a limit of the budget rather than at invalid input.
  bool too_large() const { return !budget_.error().empty(); }

  bool Request(Signal signal, element root, ExportRequest* out) {
    out->signal = signal;
    const Path path;
    const SignalKeys& keys = kKeys[static_cast<std::size_t>(signal)];
    return Members(root, path, [&](std::string_view key, element v, const Path& p) {
      if (key != keys.resource_items) return true;
      switch (signal) {
        case Signal::kTraces:
          return ResourceItemsOf(v, p, keys, &out->spans);
        case Signal::kLogs:
          return ResourceItemsOf(v, p, keys, &out->logs);
        case Signal::kMetrics:
          return ResourceItemsOf(v, p, keys, &out->metrics);
        case Signal::kCount:
          break;
      }
      return Fail(p, "unknown signal");
    });
  }

  bool Fail(const Path& path, std::string_view what) {
    if (!error_.empty()) return false;
    error_.assign(kPrefix);
    AppendPath(&path, &error_);
    if (error_.size() > kPrefix.size()) error_.append(": ");
    error_.append(what);
    return false;
  }

 private:
  // ---- size (decode_budget.h) ----

  bool Refused() {
    if (error_.empty()) error_ = budget_.error();
    return false;
  }
  template <class T>
  bool Grow(std::vector<T>* v, std::size_t n) {
    return budget_.Grow(v, n) || Refused();
  }
  bool TakeItems(std::size_t n) { return budget_.TakeItems(n) || Refused(); }

  // ---- JSON types ----

  /// Calls fn(key, value, path) for every member of the object `v` whose value is not
  /// null; fails unless `v` is an object.
  template <class Fn>
  bool Members(element v, const Path& path, Fn&& fn) {
    simdjson::dom::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) return Fail(path, "expected an object");
    for (auto member : obj) {
      if (member.value.is_null()) continue;
      const Path child{&path, member.key};
      if (!fn(member.key, member.value, child)) return false;
    }
    return true;
  }

  /// Calls fn(element, path) for every element of the array `v`; fails unless `v` is an
  /// array.
  template <class Fn>
  bool Elements(element v, const Path& path, Fn&& fn) {
    simdjson::dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) return Fail(path, "expected an array");
    std::size_t i = 0;
    for (element e : arr) {
      const Path child{&path, {}, i++, true};
      if (!fn(e, child)) return false;
    }
    return true;
  }

  std::size_t ArraySize(element v) {
    simdjson::dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) return 0;
    return arr.size();
  }

  bool String(element v, const Path& path, std::string_view* out) {
    if (v.get_string().get(*out) != simdjson::SUCCESS) return Fail(path, "expected a string");
    return true;
  }

  bool Bool(element v, const Path& path, bool* out) {
    if (v.get_bool().get(*out) != simdjson::SUCCESS) return Fail(path, "expected true or false");
    return true;
  }

  /// An int64 / sfixed64 (signed) or uint64 / fixed64 (unsigned): a JSON number with an
  /// integral value in range, or a decimal string.
  template <class Int>
  bool Integer(element v, const Path& path, Int* out) {
    static_assert(std::is_same_v<Int, std::int64_t> || std::is_same_v<Int, std::uint64_t>);
    const std::string_view what = std::is_signed_v<Int>
                                      ? "expected an integer (number or decimal string)"
                                      : "expected an unsigned integer (number or decimal string)";
    switch (v.type()) {
      case element_type::INT64: {
        const std::int64_t i = v.get_int64().value_unsafe();
        if (std::is_unsigned_v<Int> && i < 0) return Fail(path, what);
        *out = static_cast<Int>(i);
        return true;
      }
      case element_type::UINT64: {
        const std::uint64_t u = v.get_uint64().value_unsafe();
        if (std::is_signed_v<Int> &&
            u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          return Fail(path, what);
        }
        *out = static_cast<Int>(u);
        return true;
      }
      case element_type::DOUBLE: {
        // 1e18 or 5.0: accepted when integral and in range (2^63 and 2^64 are exact doubles).
        const double d = v.get_double().value_unsafe();
        const double lo = std::is_signed_v<Int> ? -9223372036854775808.0 : 0.0;
        const double hi = std::is_signed_v<Int> ? 9223372036854775808.0 : 18446744073709551616.0;
        if (!(d >= lo && d < hi) || std::trunc(d) != d) return Fail(path, what);
        *out = static_cast<Int>(d);
        return true;
      }
      case element_type::STRING: {
        const std::string_view s = v.get_string().value_unsafe();
        const char* end = s.data() + s.size();
        auto [ptr, ec] = std::from_chars(s.data(), end, *out);
        if (s.empty() || ec != std::errc() || ptr != end) return Fail(path, what);
        return true;
      }
      default:
        return Fail(path, what);
    }
  }

  /// An enum: a JSON integer in the int32 range (names are not valid OTLP JSON).
  bool Enum(element v, const Path& path, int* out) {
    const element_type t = v.type();
    if (t != element_type::INT64 && t != element_type::UINT64 && t != element_type::DOUBLE) {
      return Fail(path, "expected an integer enum value");
    }
    std::int64_t i = 0;
    if (!Integer(v, path, &i)) return false;
    if (i < std::numeric_limits<std::int32_t>::min() ||
        i > std::numeric_limits<std::int32_t>::max()) {
      return Fail(path, "enum value out of range");
    }
    *out = static_cast<int>(i);
    return true;
  }

  /// A double: a JSON number, "NaN", "Infinity", "-Infinity" or a decimal string.
  bool Double(element v, const Path& path, double* out) {
    switch (v.type()) {
      case element_type::INT64:
        *out = static_cast<double>(v.get_int64().value_unsafe());
        return true;
      case element_type::UINT64:
        *out = static_cast<double>(v.get_uint64().value_unsafe());
        return true;
      case element_type::DOUBLE:
        *out = v.get_double().value_unsafe();
        return true;
      case element_type::STRING: {
        const std::string_view s = v.get_string().value_unsafe();
        if (s == "NaN") {
          *out = std::numeric_limits<double>::quiet_NaN();
          return true;
        }
        if (s == "Infinity" || s == "-Infinity") {
          *out = s[0] == '-' ? -std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::infinity();
          return true;
        }
        const char* end = s.data() + s.size();
        auto [ptr, ec] = std::from_chars(s.data(), end, *out);
        if (!s.empty() && ec == std::errc() && ptr == end) return true;
        break;
      }
      default:
        break;
    }
    return Fail(path, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
  }

  template <std::size_t kHexLen>
  bool Id(element v, const Path& path, HexId<kHexLen>* id, ItemError* error) {
    std::string_view hex;
    if (!String(v, path, &hex)) return false;
    SetIdFromHex(hex, id, error);
    return true;
  }

  // ---- common messages ----

  bool AnyValueOf(element v, const Path& path, AnyValue* out) {
    return Members(v, path, [&](std::string_view key, element f, const Path& p) {
      if (key == "stringValue") {
        out->kind = ValueKind::kString;
        return String(f, p, &out->str);
      }
      if (key == "boolValue") {
        out->kind = ValueKind::kBool;
        return Bool(f, p, &out->b);
      }
      if (key == "intValue") {
        out->kind = ValueKind::kInt;
        return Integer(f, p, &out->i);
      }
      if (key == "doubleValue") {
        out->kind = ValueKind::kDouble;
        return Double(f, p, &out->d);
      }
      if (key == "arrayValue" || key == "kvlistValue") {
        const bool array = key == "arrayValue";
        out->kind = array ? ValueKind::kArray : ValueKind::kKvList;
        return Members(f, p, [&](std::string_view k, element values, const Path& vp) {
          if (k != "values") return true;
          return Elements(values, vp, [&](element e, const Path& ep) {
            if (array) {
              AnyValue ignored;
              return AnyValueOf(e, ep, &ignored);
            }
            Attribute ignored;
            return KeyValueOf(e, ep, &ignored);
          });
        });
      }
      if (key == "bytesValue") {
        out->kind = ValueKind::kBytes;
        std::string_view ignored;
        return String(f, p, &ignored);
      }
      return true;
    });
  }

  bool KeyValueOf(element v, const Path& path, Attribute* out) {
    return Members(v, path, [&](std::string_view key, element f, const Path& p) {
      if (key == "key") return String(f, p, &out->key);
      if (key == "value") return AnyValueOf(f, p, &out->value);
      return true;
    });
  }

  /// An attributes array: at most max_attributes are kept, all are checked;
  /// \param too_many set when there are more.
  bool AttributesOf(element v, const Path& path, Attributes* out, bool* too_many) {
    if (!Grow(out, std::min(ArraySize(v), limits_.max_attributes))) return false;
    std::size_t count = out->size();
    bool ok = Elements(v, path, [&](element e, const Path& p) {
      Attribute a;
      if (!KeyValueOf(e, p, &a)) return false;
      if (++count > limits_.max_attributes) return true;
      if (!Grow(out, 1)) return false;
      out->push_back(a);
      return true;
    });
    if (count > limits_.max_attributes) *too_many = true;
    return ok;
  }

  template <class Item>
  bool ResourceItemsOf(element v, const Path& path, const SignalKeys& keys,
                       std::vector<ResourceItems<Item>>* out) {
    if (!Grow(out, ArraySize(v))) return false;
    return Elements(v, path, [&](element e, const Path& p) {
      if (!Grow(out, 1)) return false;
      ResourceItems<Item>& resource = out->emplace_back();
      bool too_many = false;
      bool ok = Members(e, p, [&](std::string_view key, element f, const Path& fp) {
        if (key == "resource") {
          return Members(f, fp, [&](std::string_view k, element a, const Path& ap) {
            return k != "attributes" || AttributesOf(a, ap, &resource.resource, &too_many);
          });
        }
        if (key == keys.scope_items) {
          if (!Grow(&resource.scopes, ArraySize(f))) return false;
          return Elements(f, fp, [&](element s, const Path& sp) {
            return Grow(&resource.scopes, 1) &&
                   ScopeItemsOf(s, sp, keys, &resource.scopes.emplace_back());
          });
        }
        return true;
      });
      if (ok && too_many) MarkAllTooMany(&resource);
      return ok;
    });
  }

  template <class Item>
  bool ScopeItemsOf(element v, const Path& path, const SignalKeys& keys, ScopeItems<Item>* out) {
    return Members(v, path, [&](std::string_view key, element f, const Path& p) {
      if (key == "scope") {
        return Members(f, p, [&](std::string_view k, element n, const Path& np) {
          return k != "name" || String(n, np, &out->scope_name);
        });
      }
      if (key == keys.items) {
        // Counted and refused before any of them is stored (a metric is not an item: its
        // points are).
        const std::size_t n = ArraySize(f);
        if ((!std::is_same_v<Item, Metric> && !TakeItems(n)) || !Grow(&out->items, n)) {
          return false;
        }
        return Elements(f, p, [&](element e, const Path& ep) {
          return Grow(&out->items, 1) && ItemOf(e, ep, &out->items.emplace_back());
        });
      }
      return true;
    });
  }

  // ---- traces ----

  bool ItemOf(element v, const Path& path, Span* out) {
    bool too_many = false;
    bool ok = Members(v, path, [&](std::string_view key, element f, const Path& p) {
      if (key == "traceId") return Id(f, p, &out->trace_id, &out->error);
      if (key == "spanId") return Id(f, p, &out->span_id, &out->error);
      if (key == "parentSpanId") {
        ItemError ignored = ItemError::kNone;  // a malformed parent only loses the link
        return Id(f, p, &out->parent_span_id, &ignored);
      }
      if (key == "name") return String(f, p, &out->name);
      if (key == "kind") return Enum(f, p, &out->kind);
      if (key == "startTimeUnixNano") return Integer(f, p, &out->start_time_ns);
      if (key == "endTimeUnixNano") return Integer(f, p, &out->end_time_ns);
      if (key == "attributes") return AttributesOf(f, p, &out->attributes, &too_many);
      if (key == "status") {
        return Members(f, p, [&](std::string_view k, element s, const Path& sp) {
          if (k == "message") return String(s, sp, &out->status_message);
          if (k == "code") return Enum(s, sp, &out->status_code);
          return true;
        });
      }
      return true;
    });
    if (too_many) SetError(&out->error, ItemError::kTooManyAttributes);
    return ok;
  }

  // ---- logs ----

  bool ItemOf(element v, const Path& path, LogRecord* out) {
    bool too_many = false;
    bool ok = Members(v, path, [&](std::string_view key, element f, const Path& p) {
      if (key == "timeUnixNano") return Integer(f, p, &out->time_ns);
      if (key == "observedTimeUnixNano") return Integer(f, p, &out->observed_time_ns);
      if (key == "severityNumber") return Enum(f, p, &out->severity_number);
      if (key == "body") {
        out->body = AnyValue{};
        return AnyValueOf(f, p, &out->body);
      }
      if (key == "attributes") return AttributesOf(f, p, &out->attributes, &too_many);
      if (key == "traceId") return Id(f, p, &out->trace_id, &out->error);
      if (key == "spanId") return Id(f, p, &out->span_id, &out->error);
      if (key == "eventName") return String(f, p, &out->event_name);
      return true;
    });
    if (too_many) SetError(&out->error, ItemError::kTooManyAttributes);
    return ok;
  }

  // ---- metrics ----

  bool ItemOf(element v, const Path& path, Metric* out) {
    return Members(v, path, [&](std::string_view key, element f, const Path& p) {
      MetricKind kind = MetricKind::kNone;
      if (key == "name") return String(f, p, &out->name);
      if (key == "unit") return String(f, p, &out->unit);
      if (key == "gauge") {
        kind = MetricKind::kGauge;
      } else if (key == "sum") {
        kind = MetricKind::kSum;
      } else if (key == "histogram") {
        kind = MetricKind::kHistogram;
      } else if (key == "exponentialHistogram") {
        kind = MetricKind::kExponentialHistogram;
      } else if (key == "summary") {
        kind = MetricKind::kSummary;
      } else {
        return true;
      }
      if (kind != out->kind) {  // oneof: a later member replaces an earlier one
        out->kind = kind;
        out->points.clear();
        out->other_points = 0;
        out->temporality = 0;
        out->monotonic = false;
      }
      return DataOf(f, p, out);
    });
  }

  bool DataOf(element v, const Path& path, Metric* out) {
    const bool numbers = out->kind == MetricKind::kGauge || out->kind == MetricKind::kSum;
    return Members(v, path, [&](std::string_view key, element f, const Path& p) {
      if (key == "dataPoints") {
        const std::size_t n = ArraySize(f);  // every kind of point is an item
        if (!TakeItems(n) || (numbers && !Grow(&out->points, n))) return false;
        return Elements(f, p, [&](element e, const Path& ep) {
          if (numbers) {
            return Grow(&out->points, 1) && NumberPointOf(e, ep, &out->points.emplace_back());
          }
          if (!e.is_object()) return Fail(ep, "expected an object");
          ++out->other_points;
          return true;
        });
      }
      if (key == "aggregationTemporality" && out->kind != MetricKind::kGauge &&
          out->kind != MetricKind::kSummary) {
        return Enum(f, p, &out->temporality);
      }
      if (key == "isMonotonic" && out->kind == MetricKind::kSum) return Bool(f, p, &out->monotonic);
      return true;
    });
  }

  bool NumberPointOf(element v, const Path& path, NumberPoint* out) {
    bool too_many = false;
    bool ok = Members(v, path, [&](std::string_view key, element f, const Path& p) {
      if (key == "attributes") return AttributesOf(f, p, &out->attributes, &too_many);
      if (key == "startTimeUnixNano") return Integer(f, p, &out->start_time_ns);
      if (key == "timeUnixNano") return Integer(f, p, &out->time_ns);
      if (key == "asDouble") {
        out->is_int = false;
        out->has_value = true;
        return Double(f, p, &out->value);
      }
      if (key == "asInt") {
        std::int64_t i = 0;
        out->is_int = true;
        out->has_value = true;
        if (!Integer(f, p, &i)) return false;
        out->value = static_cast<double>(i);
        return true;
      }
      return true;
    });
    if (too_many) SetError(&out->error, ItemError::kTooManyAttributes);
    return ok;
  }

  const DecodeLimits& limits_;
  DecodeBudget budget_;
  std::string error_;
};

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// Parses `body` into a parser owned by the returned storage; \return the root or an error.
Result<element> Parse(std::string_view body, const DecodeLimits& limits,
                      std::shared_ptr<simdjson::dom::parser>* storage) {
  auto parser = std::make_shared<simdjson::dom::parser>();
  // max_depth: simdjson counts the open objects and arrays; the capacity grows as needed.
  if (auto err = parser->allocate(std::max<std::size_t>(body.size(), 64), limits.max_depth)) {
    return Error{std::string(kPrefix) + simdjson::error_message(err)};
  }
  element root;
  // realloc_if_needed: the body is copied into the parser's padded buffer.
  if (auto err = parser->parse(body.data(), body.size(), true).get(root)) {
    if (err == simdjson::DEPTH_ERROR) {
      return Error{std::string(kPrefix) + "nesting deeper than " +
                   std::to_string(limits.max_depth)};
    }
    return Error{std::string(kPrefix) + simdjson::error_message(err)};
  }
  *storage = std::move(parser);
  return root;
}

Result<ExportRequest> Decode(std::optional<Signal> signal, std::string_view body,
                             const DecodeLimits& limits, DecodeFailure* failure) {
  if (failure != nullptr) *failure = DecodeFailure::kInvalid;
  static const std::string kNoSignal =
      std::string(kPrefix) + "no resourceSpans, resourceLogs or resourceMetrics";
  ExportRequest request;
  if (IsBlank(body)) {
    if (!signal) return Error{kNoSignal};
    request.signal = *signal;
    if (failure != nullptr) *failure = DecodeFailure::kNone;
    return request;
  }
  // Every item takes 2 bytes at least ("0,"): a smaller body cannot hold too many.
  if ((body.size() + 1) / 2 > limits.max_items &&
      CountJsonItems(body, signal) > limits.max_items) {
    if (failure != nullptr) *failure = DecodeFailure::kTooLarge;
    return Error{DecodeBudget::TooManyItems(limits.max_items)};
  }
  std::shared_ptr<simdjson::dom::parser> parser;
  auto root = Parse(body, limits, &parser);
  if (!root.ok()) return Error{root.error()};
  Decoder decoder(limits, body.size());
  if (!signal) {
    simdjson::dom::object obj;
    if (root->get_object().get(obj) != simdjson::SUCCESS) {
      decoder.Fail(Path{}, "expected an object");
      return Error{decoder.error()};
    }
    for (auto member : obj) {
      for (std::size_t s = 0; s < std::size(kKeys); ++s) {
        if (member.key != kKeys[s].resource_items) continue;
        if (signal && *signal != static_cast<Signal>(s)) {
          return Error{std::string(kPrefix) +
                       "more than one of resourceSpans, resourceLogs and resourceMetrics"};
        }
        signal = static_cast<Signal>(s);
      }
    }
    if (!signal) {
      return Error{kNoSignal};
    }
  }
  if (!decoder.Request(*signal, *root, &request)) {
    if (failure != nullptr && decoder.too_large()) *failure = DecodeFailure::kTooLarge;
    return Error{decoder.error()};
  }
  request.storage = std::move(parser);
  if (failure != nullptr) *failure = DecodeFailure::kNone;
  return request;
}

}  // namespace

Result<ExportRequest> DecodeJson(Signal signal, std::string_view body, const DecodeLimits& limits,
                                 DecodeFailure* failure) {
  return Decode(signal, body, limits, failure);
}

Result<ExportRequest> DecodeJsonAnySignal(std::string_view line, const DecodeLimits& limits,
                                          DecodeFailure* failure) {
  return Decode(std::nullopt, line, limits, failure);
}

}  // namespace agx::otlp
