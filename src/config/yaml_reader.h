#pragma once
// Strict readers for yaml-cpp nodes, used by the config decoder. Each reader checks the
// node's type and value, reports any problem to a Diagnostics with the node's position and
// dotted path ("web.threads: expected an integer, got \"eight\""), and returns false then,
// leaving its output unchanged. Internal to the config module; one Diagnostics per load, so
// nothing here is shared between threads.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agx::config_detail {

/// Collects error messages as "name:line:column: message" (1-based), in the order added.
class Diagnostics {
 public:
  explicit Diagnostics(std::string name) : name_(std::move(name)) {}

  void Add(const YAML::Mark& mark, std::string_view message);
  bool empty() const { return messages_.empty(); }
  std::size_t size() const { return messages_.size(); }
  /// \return every message, joined with '\n'.
  std::string Joined() const;

 private:
  std::string name_;
  std::vector<std::string> messages_;
};

/// A node to decode, with its dotted path for messages ("pricing[2].input") and where to
/// point when the node has no usable position of its own (yaml-cpp places an empty value at
/// the next token, so null values point at their key instead).
struct Value {
  YAML::Node node;
  std::string path;
  YAML::Mark fallback;

  YAML::Mark mark() const;
  /// \return "path: message", or just the message at the top level.
  std::string Message(std::string_view message) const;
};

/// Calls `entry(key, key_mark, value)` for each pair of a mapping; null counts as an empty
/// mapping. Non-mappings, non-scalar keys and duplicate keys are reported instead.
void ForEachEntry(const Value& v, Diagnostics* d,
                  const std::function<void(const std::string& key, const YAML::Mark& key_mark,
                                           const Value& value)>& entry);

/// One known key of a mapping and what decodes its value.
struct Field {
  std::string_view key;
  std::function<void(const Value&)> decode;
};

/// Decodes a mapping whose keys must all be among `fields` (unknown keys are errors).
void DecodeMapping(const Value& v, std::span<const Field> fields, Diagnostics* d);

/// Calls `item` for each element of a sequence (null counts as empty); items' paths are
/// "path[i]". \return false (and reports) when `v` is not a sequence.
bool ForEachItem(const Value& v, Diagnostics* d, const std::function<void(const Value&)>& item);

/// Any scalar; null reads as "".
bool ReadString(const Value& v, Diagnostics* d, std::string* out);
/// A plain (unquoted) decimal integer in [min, max].
bool ReadInt(const Value& v, std::int64_t min, std::int64_t max, Diagnostics* d, std::int64_t* out);
/// A plain (unquoted) finite decimal number.
bool ReadNumber(const Value& v, Diagnostics* d, double* out);
/// A byte count greater than zero: an integer or a size such as "8MiB" (see ParseSize).
bool ReadSize(const Value& v, Diagnostics* d, std::size_t* out);
/// A duration greater than zero in Prometheus syntax (see ParseDuration).
bool ReadDuration(const Value& v, Diagnostics* d, std::chrono::milliseconds* out);

/// \return the 1-based line of `mark`, for "first at line N" messages.
inline int Line(const YAML::Mark& mark) { return mark.line + 1; }

}  // namespace agx::config_detail
