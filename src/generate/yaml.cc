#include "generate/yaml.h"

#include <cctype>

namespace agx {
namespace {

bool LooksSpecial(const std::string& s) {
  static const char* kWords[] = {"true", "false", "yes", "no", "on", "off", "null", "~",
                                 "True", "False", "Yes", "No", "On", "Off", "Null", "NULL",
                                 "TRUE", "FALSE", "YES", "NO", "ON", "OFF"};
  for (const char* w : kWords) {
    if (s == w) return true;
  }
  // Anything that starts like a number could be read as one.
  char c = s[0];
  if (std::isdigit(static_cast<unsigned char>(c)) || ((c == '-' || c == '+' || c == '.') && s.size() > 1)) {
    return true;
  }
  return false;
}

bool NeedsQuotes(const std::string& s) {
  if (s.empty() || LooksSpecial(s)) return true;
  if (s.front() == ' ' || s.back() == ' ') return true;
  static const std::string kLeading = "-?:,[]{}#&*!|>'\"%@`";
  if (kLeading.find(s.front()) != std::string::npos) return true;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return true;
  if (s.back() == ':') return true;
  for (char ch : s) {
    if (ch == '\t' || static_cast<unsigned char>(ch) < 0x20) return true;
  }
  return false;
}

void Indent(std::string* out, int n) { out->append(static_cast<std::size_t>(n), ' '); }

}  // namespace

std::string YamlQuote(const std::string& s) {
  if (!NeedsQuotes(s)) return s;
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q.push_back('\'');
    q.push_back(c);
  }
  q.push_back('\'');
  return q;
}

Yaml Yaml::Str(std::string s) {
  Yaml y;
  y.scalar_ = std::move(s);
  return y;
}

Yaml Yaml::Raw(std::string s) {
  Yaml y;
  y.scalar_ = std::move(s);
  y.raw_ = true;
  return y;
}

Yaml Yaml::Map() {
  Yaml y;
  y.kind_ = Kind::kMap;
  return y;
}

Yaml Yaml::List() {
  Yaml y;
  y.kind_ = Kind::kList;
  return y;
}

Yaml Yaml::FlowList(const std::vector<std::string>& items) {
  Yaml y = List();
  y.flow_ = true;
  for (const auto& i : items) y.list_.push_back(Str(i));
  return y;
}

Yaml& Yaml::Set(std::string key, Yaml value) {
  map_.emplace_back(std::move(key), std::move(value));
  return *this;
}

Yaml& Yaml::Add(Yaml value) {
  list_.push_back(std::move(value));
  return *this;
}

std::string Yaml::Emit() const {
  std::string out;
  EmitInto(&out, 0, false);
  return out;
}

// Writes this value as the body after "key:" (or "- "). Maps and lists start on the next
// line at `indent`; scalars stay on the same line.
void Yaml::EmitInto(std::string* out, int indent, bool in_list_item) const {
  switch (kind_) {
    case Kind::kScalar: {
      if (!raw_ && scalar_.find('\n') != std::string::npos) {
        // Block literal; a trailing newline is kept with `|`, dropped with `|-`.
        bool trailing = scalar_.back() == '\n';
        out->append(trailing ? "|\n" : "|-\n");
        std::size_t start = 0;
        std::string body = trailing ? scalar_.substr(0, scalar_.size() - 1) : scalar_;
        while (start <= body.size()) {
          std::size_t nl = body.find('\n', start);
          if (nl == std::string::npos) nl = body.size();
          if (nl > start) Indent(out, indent);
          out->append(body, start, nl - start);
          out->push_back('\n');
          start = nl + 1;
        }
      } else {
        out->append(raw_ ? scalar_ : YamlQuote(scalar_));
        out->push_back('\n');
      }
      return;
    }
    case Kind::kMap: {
      if (map_.empty()) {
        out->append("{}\n");
        return;
      }
      bool first = true;
      for (const auto& [key, value] : map_) {
        if (!(first && in_list_item)) Indent(out, indent);
        first = false;
        out->append(YamlQuote(key)).push_back(':');
        if (value.kind_ == Kind::kScalar || value.flow_ || value.empty()) {
          out->push_back(' ');
          value.EmitInto(out, indent + 2, false);
        } else {
          out->push_back('\n');
          // Lists under a key are indented like kubernetes-mixin files do.
          value.EmitInto(out, indent + 2, false);
        }
      }
      return;
    }
    case Kind::kList: {
      if (list_.empty()) {
        out->append("[]\n");
        return;
      }
      if (flow_) {
        out->push_back('[');
        for (std::size_t i = 0; i < list_.size(); ++i) {
          if (i > 0) out->append(", ");
          out->append(YamlQuote(list_[i].scalar_));
        }
        out->append("]\n");
        return;
      }
      for (const auto& item : list_) {
        Indent(out, indent);
        out->append("- ");
        item.EmitInto(out, indent + 2, true);
      }
      return;
    }
  }
}

}  // namespace agx
