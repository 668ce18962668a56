// Decoding of OTLP protobuf export requests with WireReader. Only the fields of the model
// are read; every other field is skipped by its wire type without looking inside (events,
// links, exemplars, histogram buckets…). Field numbers: opentelemetry-proto v1.11.0.
//
// Choices:
// - A field the decoder reads that arrives with another wire type than its declared type
//   fails the request (libprotobuf would keep it as an unknown field; an exporter that
//   does this is broken, and a clear 400 beats silently losing the field).
// - Strings must be valid UTF-8 (proto3 `string`): every string the decoder reads (keys,
//   string values, also inside array and kvlist values, names, units, messages) is
//   checked and invalid UTF-8 fails the request with a 400, as libprotobuf's parser does.
//   Marking only the item would let a broken key or name reach labels.
// - Nesting: the request message is level 1; a message nested deeper than
//   DecodeLimits::max_depth fails the request. Skipped messages are not looked into.
// - Size (decode_budget.h): before the repeated messages of the model (resources, scopes,
//   items, data points, attributes) are decoded, the fields of their parent are counted
//   (CountFields, which does not look into them) and the vector is reserved through the
//   budget, so a request over the limits is refused before it is stored.
#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "common/utf8.h"
#include "otlp/decode.h"
#include "otlp/decode_budget.h"
#include "otlp/decode_items.h"
#include "otlp/wire_reader.h"

namespace agx::otlp {
namespace {

using decode_detail::MarkAllTooMany;
using decode_detail::SetError;
using decode_detail::SetIdFromBytes;

/// How many length-delimited fields numbered `number` the message `bytes` holds at its top
/// level (the fields are not looked into), to reserve their vector before decoding them.
/// Stops at a malformed field: the decoder reports it when it gets there.
std::size_t CountFields(std::string_view bytes, std::uint32_t number) {
  WireReader r(bytes);
  WireField f;
  std::size_t n = 0;
  while (r.Next(&f)) n += f.number == number && f.type == WireType::kLen;
  return n;
}

template <class Item>
constexpr bool kIsItem = !std::is_same_v<Item, Metric>;  // a metric holds items (its points)

class Decoder {
 public:
  Decoder(std::string_view body, const DecodeLimits& limits)
      : body_(body), limits_(limits), budget_(limits, body.size()) {}

  bool Request(Signal signal, ExportRequest* out) {
    out->signal = signal;
    const std::size_t n = CountFields(body_, 1);
    switch (signal) {
      case Signal::kTraces:
        if (!Grow(&out->spans, n)) return false;
        break;
      case Signal::kLogs:
        if (!Grow(&out->logs, n)) return false;
        break;
      case Signal::kMetrics:
        if (!Grow(&out->metrics, n)) return false;
        break;
      case Signal::kCount:
        break;
    }
    return Fields("Export request", body_, 1, [&](const WireField& f, const char* at) {
      if (f.number != 1) return true;
      if (!Want(f, WireType::kLen, "Export request", at)) return false;
      switch (signal) {
        case Signal::kTraces:
          return Grow(&out->spans, 1) && ResourceSpans(f.bytes, 2, &out->spans.emplace_back());
        case Signal::kLogs:
          return Grow(&out->logs, 1) && ResourceLogs(f.bytes, 2, &out->logs.emplace_back());
        case Signal::kMetrics:
          return Grow(&out->metrics, 1) &&
                 ResourceMetrics(f.bytes, 2, &out->metrics.emplace_back());
        case Signal::kCount:
          break;
      }
      return Fail("Export request", at, "unknown signal");
    });
  }

  const std::string& error() const { return error_; }
  /// Whether the decode stopped at a limit of the budget rather than at invalid input.
  bool too_large() const { return !budget_.error().empty(); }

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
  /// Reserves for the attributes (field `number`) of the message `bytes`.
  bool GrowAttributes(std::string_view bytes, std::uint32_t number, Attributes* attrs) {
    return Grow(attrs, std::min(CountFields(bytes, number), limits_.max_attributes));
  }

  // ---- plumbing ----

  bool Fail(std::string_view message, const char* at, std::string_view what) {
    if (!error_.empty()) return false;
    error_ = "invalid OTLP protobuf: ";
    error_.append(message).append(": ").append(what);
    error_.append(" at byte ").append(std::to_string(at - body_.data()));
    return false;
  }

  /// Calls fn(field, position of its tag) for every field of `bytes`, a message named
  /// `message` at nesting `depth`; stops at the first false.
  template <class Fn>
  bool Fields(std::string_view message, std::string_view bytes, std::size_t depth, Fn&& fn) {
    if (depth > limits_.max_depth) {
      return Fail(message, bytes.data(),
                  "nesting deeper than " + std::to_string(limits_.max_depth));
    }
    WireReader r(bytes);
    WireField f;
    const char* at = bytes.data();
    while (r.Next(&f)) {
      if (!fn(f, at)) return false;
      at = bytes.data() + r.offset();
    }
    // Reported at the start of the field that could not be read.
    if (r.error() != WireError::kNone) return Fail(message, at, WireErrorName(r.error()));
    return true;
  }

  bool Want(const WireField& f, WireType type, std::string_view message, const char* at) {
    if (f.type == type) return true;
    return Fail(message, at,
                "field " + std::to_string(f.number) + ": wrong wire type " +
                    std::to_string(static_cast<int>(f.type)));
  }

  bool String(const WireField& f, std::string_view message, const char* at, std::string_view* out) {
    if (!Want(f, WireType::kLen, message, at)) return false;
    if (!IsValidUtf8(f.bytes)) {
      return Fail(message, at, "field " + std::to_string(f.number) + ": invalid UTF-8");
    }
    *out = f.bytes;
    return true;
  }

  // ---- common messages ----

  bool AnyValueMsg(std::string_view bytes, std::size_t depth, AnyValue* out) {
    static constexpr std::string_view kMsg = "AnyValue";
    return Fields(kMsg, bytes, depth, [&](const WireField& f, const char* at) {
      switch (f.number) {
        case 1:
          out->kind = ValueKind::kString;
          return String(f, kMsg, at, &out->str);
        case 2:
          out->kind = ValueKind::kBool;
          out->b = f.value != 0;
          return Want(f, WireType::kVarint, kMsg, at);
        case 3:
          out->kind = ValueKind::kInt;
          out->i = f.AsInt64();
          return Want(f, WireType::kVarint, kMsg, at);
        case 4:
          out->kind = ValueKind::kDouble;
          out->d = f.AsDouble();
          return Want(f, WireType::kFixed64, kMsg, at);
        case 5:
          out->kind = ValueKind::kArray;
          return Want(f, WireType::kLen, kMsg, at) && ArrayValueMsg(f.bytes, depth + 1);
        case 6:
          out->kind = ValueKind::kKvList;
          return Want(f, WireType::kLen, kMsg, at) && KvListMsg(f.bytes, depth + 1);
        case 7:
          out->kind = ValueKind::kBytes;
          return Want(f, WireType::kLen, kMsg, at);
        default:
          return true;
      }
    });
  }

  bool ArrayValueMsg(std::string_view bytes, std::size_t depth) {
    return Fields("ArrayValue", bytes, depth, [&](const WireField& f, const char* at) {
      if (f.number != 1) return true;
      AnyValue ignored;
      return Want(f, WireType::kLen, "ArrayValue", at) && AnyValueMsg(f.bytes, depth + 1, &ignored);
    });
  }

  bool KvListMsg(std::string_view bytes, std::size_t depth) {
    return Fields("KeyValueList", bytes, depth, [&](const WireField& f, const char* at) {
      if (f.number != 1) return true;
      Attribute ignored;
      return Want(f, WireType::kLen, "KeyValueList", at) &&
             KeyValueMsg(f.bytes, depth + 1, &ignored);
    });
  }

  bool KeyValueMsg(std::string_view bytes, std::size_t depth, Attribute* out) {
    return Fields("KeyValue", bytes, depth, [&](const WireField& f, const char* at) {
      switch (f.number) {
        case 1:
          return String(f, "KeyValue", at, &out->key);
        case 2:
          return Want(f, WireType::kLen, "KeyValue", at) &&
                 AnyValueMsg(f.bytes, depth + 1, &out->value);
        default:
          return true;
      }
    });
  }

  /// Reads one KeyValue field into `attrs`, keeping at most max_attributes of them;
  /// `count` counts them all.
  bool Attr(const WireField& f, std::string_view message, const char* at, std::size_t depth,
            Attributes* attrs, std::size_t* count) {
    if (!Want(f, WireType::kLen, message, at)) return false;
    Attribute a;
    if (!KeyValueMsg(f.bytes, depth + 1, &a)) return false;
    if (++*count > limits_.max_attributes) return true;
    if (!Grow(attrs, 1)) return false;
    attrs->push_back(a);
    return true;
  }

  bool Fixed64(const WireField& f, std::string_view message, const char* at, std::uint64_t* out) {
    *out = f.value;
    return Want(f, WireType::kFixed64, message, at);
  }

  bool Enum(const WireField& f, std::string_view message, const char* at, int* out) {
    *out = f.AsInt32();
    return Want(f, WireType::kVarint, message, at);
  }

  /// Resource: the attributes; \return false on a decode error. `too_many` is set when
  /// they exceed the limit.
  bool ResourceMsg(std::string_view bytes, std::size_t depth, Attributes* attrs, bool* too_many) {
    if (!GrowAttributes(bytes, 1, attrs)) return false;
    std::size_t count = 0;
    bool ok = Fields("Resource", bytes, depth, [&](const WireField& f, const char* at) {
      return f.number != 1 || Attr(f, "Resource", at, depth, attrs, &count);
    });
    if (count > limits_.max_attributes) *too_many = true;
    return ok;
  }

  bool ScopeMsg(std::string_view bytes, std::size_t depth, std::string_view* name) {
    return Fields("InstrumentationScope", bytes, depth, [&](const WireField& f, const char* at) {
      return f.number != 1 || String(f, "InstrumentationScope", at, name);
    });
  }

  /// ResourceSpans / ResourceLogs / ResourceMetrics share their layout: 1 resource,
  /// 2 scope items (parsed by `scope`), 3 schema_url.
  template <class Item, class ScopeFn>
  bool ResourceItemsMsg(std::string_view message, std::string_view bytes, std::size_t depth,
                        ResourceItems<Item>* out, ScopeFn&& scope) {
    bool too_many = false;
    if (!Grow(&out->scopes, CountFields(bytes, 2))) return false;
    bool ok = Fields(message, bytes, depth, [&](const WireField& f, const char* at) {
      switch (f.number) {
        case 1:
          return Want(f, WireType::kLen, message, at) &&
                 ResourceMsg(f.bytes, depth + 1, &out->resource, &too_many);
        case 2:
          return Want(f, WireType::kLen, message, at) && Grow(&out->scopes, 1) &&
                 scope(f.bytes, depth + 1, &out->scopes.emplace_back());
        default:
          return true;
      }
    });
    if (ok && too_many) MarkAllTooMany(out);
    return ok;
  }

  /// ScopeSpans / ScopeLogs / ScopeMetrics: 1 scope, 2 items (parsed by `item`).
  template <class Item, class ItemFn>
  bool ScopeItemsMsg(std::string_view message, std::string_view bytes, std::size_t depth,
                     ScopeItems<Item>* out, ItemFn&& item) {
    // Counted and refused before any of them is stored: millions of empty spans cost nothing.
    const std::size_t n = CountFields(bytes, 2);
    if ((kIsItem<Item> && !TakeItems(n)) || !Grow(&out->items, n)) return false;
    return Fields(message, bytes, depth, [&](const WireField& f, const char* at) {
      switch (f.number) {
        case 1:
          return Want(f, WireType::kLen, message, at) &&
                 ScopeMsg(f.bytes, depth + 1, &out->scope_name);
        case 2:
          return Want(f, WireType::kLen, message, at) && Grow(&out->items, 1) &&
                 item(f.bytes, depth + 1, &out->items.emplace_back());
        default:
          return true;
      }
    });
  }

  // ---- traces ----

  bool ResourceSpans(std::string_view bytes, std::size_t depth, ResourceItems<Span>* out) {
    return ResourceItemsMsg("ResourceSpans", bytes, depth, out,
                            [&](std::string_view b, std::size_t d, ScopeItems<Span>* scope) {
                              return ScopeItemsMsg(
                                  "ScopeSpans", b, d, scope,
                                  [&](std::string_view sb, std::size_t sd, Span* span) {
                                    return SpanMsg(sb, sd, span);
                                  });
                            });
  }

  bool SpanMsg(std::string_view bytes, std::size_t depth, Span* out) {
    static constexpr std::string_view kMsg = "Span";
    if (!GrowAttributes(bytes, 9, &out->attributes)) return false;
    std::size_t count = 0;
    bool ok = Fields(kMsg, bytes, depth, [&](const WireField& f, const char* at) {
      switch (f.number) {
        case 1:
          if (!Want(f, WireType::kLen, kMsg, at)) return false;
          SetIdFromBytes(f.bytes, &out->trace_id, &out->error);
          return true;
        case 2:
          if (!Want(f, WireType::kLen, kMsg, at)) return false;
          SetIdFromBytes(f.bytes, &out->span_id, &out->error);
          return true;
        case 4:
          if (!Want(f, WireType::kLen, kMsg, at)) return false;
          {
            ItemError ignored = ItemError::kNone;  // a malformed parent only loses the link
            SetIdFromBytes(f.bytes, &out->parent_span_id, &ignored);
          }
          return true;
        case 5:
          return String(f, kMsg, at, &out->name);
        case 6:
          return Enum(f, kMsg, at, &out->kind);
        case 7:
          return Fixed64(f, kMsg, at, &out->start_time_ns);
        case 8:
          return Fixed64(f, kMsg, at, &out->end_time_ns);
        case 9:
          return Attr(f, kMsg, at, depth, &out->attributes, &count);
        case 15:
          return Want(f, WireType::kLen, kMsg, at) && StatusMsg(f.bytes, depth + 1, out);
        default:
          return true;
      }
    });
    if (count > limits_.max_attributes) SetError(&out->error, ItemError::kTooManyAttributes);
    return ok;
  }

  bool StatusMsg(std::string_view bytes, std::size_t depth, Span* out) {
    return Fields("Status", bytes, depth, [&](const WireField& f, const char* at) {
      switch (f.number) {
        case 2:
          return String(f, "Status", at, &out->status_message);
        case 3:
          return Enum(f, "Status", at, &out->status_code);
        default:
          return true;
      }
    });
  }

  // ---- logs ----

  bool ResourceLogs(std::string_view bytes, std::size_t depth, ResourceItems<LogRecord>* out) {
    return ResourceItemsMsg("ResourceLogs", bytes, depth, out,
                            [&](std::string_view b, std::size_t d, ScopeItems<LogRecord>* scope) {
                              return ScopeItemsMsg(
                                  "ScopeLogs", b, d, scope,
                                  [&](std::string_view rb, std::size_t rd, LogRecord* record) {
                                    return LogRecordMsg(rb, rd, record);
                                  });
                            });
  }

  bool LogRecordMsg(std::string_view bytes, std::size_t depth, LogRecord* out) {
    static constexpr std::string_view kMsg = "LogRecord";
    if (!GrowAttributes(bytes, 6, &out->attributes)) return false;
    std::size_t count = 0;
    bool ok = Fields(kMsg, bytes, depth, [&](const WireField& f, const char* at) {
      switch (f.number) {
        case 1:
          return Fixed64(f, kMsg, at, &out->time_ns);
        case 11:
          return Fixed64(f, kMsg, at, &out->observed_time_ns);
        case 2:
          return Enum(f, kMsg, at, &out->severity_number);
        case 5:
          out->body = AnyValue{};
          return Want(f, WireType::kLen, kMsg, at) && AnyValueMsg(f.bytes, depth + 1, &out->body);
        case 6:
          return Attr(f, kMsg, at, depth, &out->attributes, &count);
        case 9:
          if (!Want(f, WireType::kLen, kMsg, at)) return false;
          SetIdFromBytes(f.bytes, &out->trace_id, &out->error);
          return true;
        case 10:
          if (!Want(f, WireType::kLen, kMsg, at)) return false;
          SetIdFromBytes(f.bytes, &out->span_id, &out->error);
          return true;
        case 12:
          return String(f, kMsg, at, &out->event_name);
        default:
          return true;
      }
    });
    if (count > limits_.max_attributes) SetError(&out->error, ItemError::kTooManyAttributes);
    return ok;
  }

  // ---- metrics ----

  bool ResourceMetrics(std::string_view bytes, std::size_t depth, ResourceItems<Metric>* out) {
    return ResourceItemsMsg("ResourceMetrics", bytes, depth, out,
                            [&](std::string_view b, std::size_t d, ScopeItems<Metric>* scope) {
                              return ScopeItemsMsg(
                                  "ScopeMetrics", b, d, scope,
                                  [&](std::string_view mb, std::size_t md, Metric* metric) {
                                    return MetricMsg(mb, md, metric);
                                  });
                            });
  }

  bool MetricMsg(std::string_view bytes, std::size_t depth, Metric* out) {
    static constexpr std::string_view kMsg = "Metric";
    return Fields(kMsg, bytes, depth, [&](const WireField& f, const char* at) {
      MetricKind kind = MetricKind::kNone;
      switch (f.number) {
        case 1:
          return String(f, kMsg, at, &out->name);
        case 3:
          return String(f, kMsg, at, &out->unit);
        case 5:
          kind = MetricKind::kGauge;
          break;
        case 7:
          kind = MetricKind::kSum;
          break;
        case 9:
          kind = MetricKind::kHistogram;
          break;
        case 10:
          kind = MetricKind::kExponentialHistogram;
          break;
        case 11:
          kind = MetricKind::kSummary;
          break;
        default:
          return true;
      }
      if (!Want(f, WireType::kLen, kMsg, at)) return false;
      if (kind != out->kind) {  // oneof: a later member replaces an earlier one
        out->kind = kind;
        out->points.clear();
        out->other_points = 0;
        out->temporality = 0;
        out->monotonic = false;
      }
      return DataMsg(f.bytes, depth + 1, out);
    });
  }

  /// Gauge, Sum, Histogram, ExponentialHistogram, Summary: 1 data_points,
  /// 2 aggregation_temporality (not in Gauge, Summary), 3 is_monotonic (Sum).
  bool DataMsg(std::string_view bytes, std::size_t depth, Metric* out) {
    static constexpr std::string_view kMsg = "metric data";
    const bool numbers = out->kind == MetricKind::kGauge || out->kind == MetricKind::kSum;
    const std::size_t n = CountFields(bytes, 1);  // every kind of point is an item
    if (!TakeItems(n) || (numbers && !Grow(&out->points, n))) return false;
    return Fields(kMsg, bytes, depth, [&](const WireField& f, const char* at) {
      switch (f.number) {
        case 1:
          if (!Want(f, WireType::kLen, kMsg, at)) return false;
          if (!numbers) {
            ++out->other_points;
            return true;
          }
          return Grow(&out->points, 1) &&
                 NumberPointMsg(f.bytes, depth + 1, &out->points.emplace_back());
        case 2:
          if (out->kind == MetricKind::kGauge || out->kind == MetricKind::kSummary) return true;
          return Enum(f, kMsg, at, &out->temporality);
        case 3:
          if (out->kind != MetricKind::kSum) return true;
          out->monotonic = f.value != 0;
          return Want(f, WireType::kVarint, kMsg, at);
        default:
          return true;
      }
    });
  }

  bool NumberPointMsg(std::string_view bytes, std::size_t depth, NumberPoint* out) {
    static constexpr std::string_view kMsg = "NumberDataPoint";
    if (!GrowAttributes(bytes, 7, &out->attributes)) return false;
    std::size_t count = 0;
    bool ok = Fields(kMsg, bytes, depth, [&](const WireField& f, const char* at) {
      switch (f.number) {
        case 7:
          return Attr(f, kMsg, at, depth, &out->attributes, &count);
        case 2:
          return Fixed64(f, kMsg, at, &out->start_time_ns);
        case 3:
          return Fixed64(f, kMsg, at, &out->time_ns);
        case 4:
          out->value = f.AsDouble();
          out->is_int = false;
          out->has_value = true;
          return Want(f, WireType::kFixed64, kMsg, at);
        case 6:
          out->value = static_cast<double>(f.AsInt64());
          out->is_int = true;
          out->has_value = true;
          return Want(f, WireType::kFixed64, kMsg, at);
        default:
          return true;
      }
    });
    if (count > limits_.max_attributes) SetError(&out->error, ItemError::kTooManyAttributes);
    return ok;
  }

  std::string_view body_;
  const DecodeLimits& limits_;
  DecodeBudget budget_;
  std::string error_;
};

}  // namespace

Result<ExportRequest> DecodeProtobuf(Signal signal, std::string_view body,
                                     const DecodeLimits& limits, DecodeFailure* failure) {
  ExportRequest request;
  Decoder decoder(body, limits);
  const bool ok = decoder.Request(signal, &request);
  if (failure != nullptr) {
    *failure = ok                   ? DecodeFailure::kNone
               : decoder.too_large() ? DecodeFailure::kTooLarge
                                     : DecodeFailure::kInvalid;
  }
  if (!ok) return Error{decoder.error()};
  return request;
}

}  // namespace agx::otlp
