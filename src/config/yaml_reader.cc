// Strict readers for yaml-cpp nodes.
#include "config/yaml_reader.h"

#include <charconv>
#include <cmath>
#include <map>

#include "config/config.h"
#include "config/scalar_syntax.h"

namespace agx::config_detail {
namespace {

// Describes what a node holds, for "expected X, got Y" messages.
std::string Describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing (null)";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return Quoted(n.Scalar());
    default:
      return "an undefined value";
  }
}

// yaml-cpp tags plain scalars "?" and quoted ones "!"; an explicit !!int or !!float counts
// as plain. Numbers must be plain: `threads: "8"` is a string, as in Go's strict decoding.
bool IsPlainScalar(const YAML::Node& n) {
  if (!n.IsScalar()) return false;
  const std::string& tag = n.Tag();
  return tag == "?" || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float";
}

bool ExpectScalar(const Value& v, std::string_view what, Diagnostics* d) {
  if (v.node.IsScalar()) return true;
  d->Add(v.mark(), v.Message("expected " + std::string(what) + ", got " + Describe(v.node)));
  return false;
}

bool ExpectPlainScalar(const Value& v, std::string_view what, Diagnostics* d) {
  if (!ExpectScalar(v, what, d)) return false;
  if (IsPlainScalar(v.node)) return true;
  d->Add(v.mark(), v.Message("expected " + std::string(what) + ", got the quoted string " +
                             Describe(v.node)));
  return false;
}

}  // namespace

void Diagnostics::Add(const YAML::Mark& mark, std::string_view message) {
  std::string m = name_;
  if (!mark.is_null()) {
    m += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }
  m += ": ";
  m += message;
  messages_.push_back(std::move(m));
}

std::string Diagnostics::Joined() const {
  std::string out;
  for (const std::string& m : messages_) {
    if (!out.empty()) out += '\n';
    out += m;
  }
  return out;
}

YAML::Mark Value::mark() const {
  if (node.IsDefined() && !node.IsNull() && !node.Mark().is_null()) return node.Mark();
  return fallback;
}

std::string Value::Message(std::string_view message) const {
  if (path.empty()) return std::string(message);
  return path + ": " + std::string(message);
}

void ForEachEntry(
    const Value& v, Diagnostics* d,
    const std::function<void(const std::string&, const YAML::Mark&, const Value&)>& entry) {
  if (v.node.IsNull()) return;
  if (!v.node.IsMap()) {
    d->Add(v.mark(), v.Message("expected a mapping, got " + Describe(v.node)));
    return;
  }
  std::map<std::string, int> seen;  // key -> 1-based line of its first occurrence
  for (const auto& kv : v.node) {
    const YAML::Node& key = kv.first;
    if (!key.IsScalar()) {
      d->Add(key.Mark(), v.Message("keys must be plain strings, got " + Describe(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    const std::string safe_name = Sanitize(name);
    const std::string path = v.path.empty() ? safe_name : v.path + "." + safe_name;
    auto [it, inserted] = seen.emplace(name, Line(key.Mark()));
    if (!inserted) {
      d->Add(key.Mark(),
             "duplicate key " + path + " (first at line " + std::to_string(it->second) + ")");
      continue;
    }
    entry(name, key.Mark(), Value{kv.second, path, key.Mark()});
  }
}

void DecodeMapping(const Value& v, std::span<const Field> fields, Diagnostics* d) {
  ForEachEntry(v, d, [&](const std::string& key, const YAML::Mark& key_mark, const Value& value) {
    for (const Field& f : fields) {
      if (f.key == key) {
        f.decode(value);
        return;
      }
    }
    std::string known;
    for (const Field& f : fields) {
      if (!known.empty()) known += ", ";
      known += f.key;
    }
    d->Add(key_mark, "unknown key " + value.path + " (known keys" +
                         (v.path.empty() ? "" : " in " + v.path) + ": " + known + ")");
  });
}

bool ForEachItem(const Value& v, Diagnostics* d, const std::function<void(const Value&)>& item) {
  if (v.node.IsNull()) return true;
  if (!v.node.IsSequence()) {
    d->Add(v.mark(), v.Message("expected a list, got " + Describe(v.node)));
    return false;
  }
  std::size_t i = 0;
  for (const YAML::Node& n : v.node) {
    item(Value{n, v.path + "[" + std::to_string(i) + "]", v.mark()});
    ++i;
  }
  return true;
}

bool ReadString(const Value& v, Diagnostics* d, std::string* out) {
  if (v.node.IsNull()) {
    out->clear();
    return true;
  }
  if (!ExpectScalar(v, "a string", d)) return false;
  *out = v.node.Scalar();
  return true;
}

bool ReadInt(const Value& v, std::int64_t min, std::int64_t max, Diagnostics* d,
             std::int64_t* out) {
  if (!ExpectPlainScalar(v, "an integer", d)) return false;
  const std::string& s = v.node.Scalar();
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  const bool out_of_range = ec == std::errc::result_out_of_range && ptr == s.data() + s.size();
  if (!out_of_range && (ec != std::errc() || ptr != s.data() + s.size())) {
    d->Add(v.mark(), v.Message("expected an integer, got " + Describe(v.node)));
    return false;
  }
  if (out_of_range || n < min || n > max) {
    d->Add(v.mark(), v.Message("must be between " + std::to_string(min) + " and " +
                               std::to_string(max) + ", got " + s));
    return false;
  }
  *out = n;
  return true;
}

bool ReadNumber(const Value& v, Diagnostics* d, double* out) {
  if (!ExpectPlainScalar(v, "a number", d)) return false;
  const std::string& s = v.node.Scalar();
  double x = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(x)) {
    d->Add(v.mark(), v.Message("expected a finite number, got " + Describe(v.node)));
    return false;
  }
  *out = x;
  return true;
}

bool ReadSize(const Value& v, Diagnostics* d, std::size_t* out) {
  if (!ExpectScalar(v, "a size", d)) return false;
  std::size_t n = 0;
  if (!ParseSize(v.node.Scalar(), &n)) {
    d->Add(v.mark(),
           v.Message("expected a size such as 1048576, 512KiB or 8MiB, got " + Describe(v.node)));
    return false;
  }
  if (n == 0) {
    d->Add(v.mark(), v.Message("must be greater than 0"));
    return false;
  }
  *out = n;
  return true;
}

bool ReadDuration(const Value& v, Diagnostics* d, std::chrono::milliseconds* out) {
  if (!ExpectScalar(v, "a duration", d)) return false;
  std::chrono::milliseconds ms{};
  if (!ParseDuration(v.node.Scalar(), &ms)) {
    d->Add(v.mark(), v.Message("expected a duration such as 250ms, 30s, 5m or 1h30m, got " +
                               Describe(v.node)));
    return false;
  }
  if (ms.count() <= 0) {
    d->Add(v.mark(), v.Message("must be greater than 0"));
    return false;
  }
  *out = ms;
  return true;
}

}  // namespace agx::config_detail
