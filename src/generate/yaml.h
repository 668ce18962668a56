#pragma once
// Yaml: a small ordered YAML value and a deterministic emitter for the generated files
// (rules, Alertmanager config, promtool tests). Keys keep insertion order, scalars are
// quoted only when YAML would misread them, multi-line strings become `|` blocks: the same
// value always gives the same bytes. A value type; thread-compatible.
#include <string>
#include <utility>
#include <vector>

namespace agx {

class Yaml {
 public:
  enum class Kind { kScalar, kMap, kList };

  /// A string scalar (quoted when needed; multi-line strings become `|` blocks).
  static Yaml Str(std::string s);
  /// A scalar written as is: numbers, booleans, durations (caller guarantees it is plain).
  static Yaml Raw(std::string s);
  static Yaml Map();
  static Yaml List();
  /// A flow-style list of strings on one line: `[a, b]`.
  static Yaml FlowList(const std::vector<std::string>& items);

  /// Appends `key: value` to a map (keys are not deduplicated). Returns *this.
  Yaml& Set(std::string key, Yaml value);
  Yaml& Set(std::string key, std::string value) { return Set(std::move(key), Str(std::move(value))); }
  Yaml& Set(std::string key, const char* value) { return Set(std::move(key), Str(value)); }
  /// Appends an item to a list. Returns *this.
  Yaml& Add(Yaml value);

  Kind kind() const { return kind_; }
  /// The items of a list (to move them into another list).
  std::vector<Yaml>& items() { return list_; }
  bool empty() const { return kind_ == Kind::kMap ? map_.empty() : list_.empty(); }

  /// The document text (no leading `---`), ending with a newline.
  std::string Emit() const;

 private:
  void EmitInto(std::string* out, int indent, bool in_list_item) const;

  Kind kind_ = Kind::kScalar;
  std::string scalar_;
  bool raw_ = false;
  bool flow_ = false;
  std::vector<std::pair<std::string, Yaml>> map_;
  std::vector<Yaml> list_;
};

/// Quotes `s` for YAML when a plain scalar would be misread (single quotes, '' escapes).
std::string YamlQuote(const std::string& s);

}  // namespace agx
