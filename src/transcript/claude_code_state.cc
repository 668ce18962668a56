#include "transcript/claude_code_state.h"

#include <algorithm>
#include <charconv>
#include <vector>

// The saved form, one line of space-separated tokens (no '\n', for the snapshot):
//   claude_code/1 <tick> m:<key>:<in>:<out>:<cache read>:<cache creation>:<flags> ...
//   t:<key>:<asked ns>:<done 0|1>:<name> ... f:<dev>:<ino>:<last used>:<turn open>:<prompt ns>:
//   <steps>:<tool calls>:<request open>:<request ns>:<last user ns>:<model>:<project> ...
// Keys are 32 hex digits; numbers decimal; strings percent-encoded (every byte outside
// '!'..'~', and '%', ':'). Messages and tools are written oldest first so that Load keeps the
// eviction order; files least recently used first.

namespace agx::transcript::claude {
namespace {

constexpr std::string_view kMagic = "claude_code/";
constexpr int kVersion = 1;

void PutHex(std::uint64_t v, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out->push_back(kDigits[(v >> shift) & 0xf]);
}

void PutNum(std::uint64_t v, std::string* out) {
  char b[24];
  auto r = std::to_chars(b, b + sizeof b, v);
  out->push_back(':');
  out->append(b, r.ptr);
}

void PutStr(std::string_view s, std::string* out) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  out->push_back(':');
  for (unsigned char c : s) {
    if (c < '!' || c > '~' || c == '%' || c == ':') {
      out->push_back('%');
      out->push_back(kDigits[c >> 4]);
      out->push_back(kDigits[c & 0xf]);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

bool ParseNum(std::string_view s, std::uint64_t* v) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseKey(std::string_view s, Key* k) {
  if (s.size() != 32) return false;
  std::uint64_t parts[2] = {};
  for (std::size_t i = 0; i < 32; ++i) {
    const int d = HexDigit(s[i]);
    if (d < 0) return false;
    parts[i / 16] = (parts[i / 16] << 4) | static_cast<std::uint64_t>(d);
  }
  *k = {parts[0], parts[1]};
  return true;
}

bool ParseStr(std::string_view s, std::size_t max, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;
    const int hi = HexDigit(s[i + 1]);
    const int lo = HexDigit(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out->size() <= max;
}

// Splits `s` at ':' into exactly `n` parts.
bool Split(std::string_view s, std::size_t n, std::string_view* parts) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t colon = s.find(':');
    if (i + 1 == n) {
      if (colon != std::string_view::npos) return false;
      parts[i] = s;
      return true;
    }
    if (colon == std::string_view::npos) return false;
    parts[i] = s.substr(0, colon);
    s.remove_prefix(colon + 1);
  }
  return false;
}

// Longer saved strings than any label limit allows are a sign of corruption.
constexpr std::size_t kMaxSavedString = 4096;

}  // namespace

FileState& ClaudeState::File(FileKey key) {
  auto it = files.find(key);
  if (it == files.end()) {
    if (files.size() >= max_files) {
      auto oldest = std::min_element(files.begin(), files.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
      });
      files.erase(oldest);
    }
    it = files.emplace(key, FileState{}).first;
  }
  it->second.last_used = ++tick;
  return it->second;
}

std::string ClaudeState::Save() const {
  std::string out;
  out.reserve(32 + messages.size() * 60 + tools.size() * 64 + files.size() * 120);
  out.append(kMagic);
  out.append(std::to_string(kVersion));
  out.push_back(' ');
  out.append(std::to_string(tick));
  messages.ForEach([&](const Key& k, const MessageEntry& e) {
    out.append(" m:");
    PutHex(k.hi, &out);
    PutHex(k.lo, &out);
    for (std::uint32_t c : e.counted) PutNum(c, &out);
    PutNum(e.flags, &out);
  });
  tools.ForEach([&](const Key& k, const ToolEntry& t) {
    out.append(" t:");
    PutHex(k.hi, &out);
    PutHex(k.lo, &out);
    PutNum(t.asked_ns, &out);
    PutNum(t.done ? 1 : 0, &out);
    PutStr(t.name, &out);
  });
  // Least recently used first: the same state always saves to the same text.
  std::vector<const std::pair<const FileKey, FileState>*> by_use;
  by_use.reserve(files.size());
  for (const auto& entry : files) by_use.push_back(&entry);
  std::sort(by_use.begin(), by_use.end(),
            [](auto* a, auto* b) { return a->second.last_used < b->second.last_used; });
  for (const auto* entry : by_use) {
    const FileKey& k = entry->first;
    const FileState& f = entry->second;
    out.append(" f");
    PutNum(k.dev, &out);
    PutNum(k.ino, &out);
    PutNum(f.last_used, &out);
    PutNum(f.turn_open ? 1 : 0, &out);
    PutNum(f.prompt_ns, &out);
    PutNum(f.steps, &out);
    PutNum(f.tool_calls, &out);
    PutNum(f.request_open ? 1 : 0, &out);
    PutNum(f.request_ns, &out);
    PutNum(f.last_user_ns, &out);
    PutStr(f.model, &out);
    PutStr(f.project, &out);
  }
  return out;
}

Status ClaudeState::Load(std::string_view text) {
  auto fail = [](std::string_view what) {
    return Error{"claude_code mapper state: " + std::string(what)};
  };
  if (!text.starts_with(kMagic)) return fail("not a Claude Code mapper state");
  text.remove_prefix(kMagic.size());
  const std::size_t sp = text.find(' ');
  std::uint64_t version = 0;
  if (sp == std::string_view::npos || !ParseNum(text.substr(0, sp), &version)) {
    return fail("malformed version");
  }
  if (version != kVersion) {
    return fail("version " + std::to_string(version) + " is not the version this build reads (" +
                std::to_string(kVersion) + ")");
  }
  text.remove_prefix(sp + 1);
  ClaudeState next(messages.capacity(), tools.capacity(), max_files);
  std::string_view tok;
  std::size_t index = 0;
  auto bad = [&](std::string_view what) {
    return fail("malformed " + std::string(what) + " entry " + std::to_string(index));
  };
  while (!text.empty()) {
    const std::size_t end = text.find(' ');
    tok = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (index == 0) {
      if (!ParseNum(tok, &next.tick)) return fail("malformed tick");
      ++index;
      continue;
    }
    std::string_view p[13];
    std::uint64_t n[10] = {};
    if (tok.starts_with("m:")) {
      Key k;
      MessageEntry e;
      if (!Split(tok.substr(2), 6, p) || !ParseKey(p[0], &k)) return bad("message");
      for (int i = 0; i < 5; ++i) {
        if (!ParseNum(p[1 + i], &n[i]) || n[i] > 0xffffffffULL) return bad("message");
      }
      for (int i = 0; i < 4; ++i) e.counted[i] = static_cast<std::uint32_t>(n[i]);
      if (n[4] > 0xff) return bad("message");
      e.flags = static_cast<std::uint8_t>(n[4]);
      if (next.messages.Find(k) != nullptr) return bad("message");
      next.messages.Insert(k, e);
    } else if (tok.starts_with("t:")) {
      Key k;
      ToolEntry t;
      if (!Split(tok.substr(2), 4, p) || !ParseKey(p[0], &k) || !ParseNum(p[1], &n[0]) ||
          !ParseNum(p[2], &n[1]) || n[1] > 1 || !ParseStr(p[3], kMaxSavedString, &t.name)) {
        return bad("tool");
      }
      t.asked_ns = n[0];
      t.done = n[1] == 1;
      if (next.tools.Find(k) != nullptr) return bad("tool");
      next.tools.Insert(k, std::move(t));
    } else if (tok.starts_with("f:")) {
      if (!Split(tok.substr(2), 12, p)) return bad("file");
      for (int i = 0; i < 10; ++i) {
        if (!ParseNum(p[i], &n[i])) return bad("file");
      }
      FileState f;
      f.last_used = n[2];
      f.turn_open = n[3] == 1;
      f.prompt_ns = n[4];
      f.request_open = n[7] == 1;
      f.request_ns = n[8];
      f.last_user_ns = n[9];
      if (n[3] > 1 || n[7] > 1 || n[5] > 0xffffffffULL || n[6] > 0xffffffffULL ||
          !ParseStr(p[10], kMaxSavedString, &f.model) ||
          !ParseStr(p[11], kMaxSavedString, &f.project)) {
        return bad("file");
      }
      f.steps = static_cast<std::uint32_t>(n[5]);
      f.tool_calls = static_cast<std::uint32_t>(n[6]);
      if (!next.files.emplace(FileKey{n[0], n[1]}, std::move(f)).second) return bad("file");
    } else {
      return bad("unknown");
    }
    ++index;
  }
  if (index == 0) return fail("missing tick");
  // A state saved with larger bounds keeps its newest files.
  while (next.files.size() > max_files) {
    auto oldest = std::min_element(next.files.begin(), next.files.end(),
                                   [](const auto& a, const auto& b) {
                                     return a.second.last_used < b.second.last_used;
                                   });
    next.files.erase(oldest);
  }
  messages = std::move(next.messages);
  tools = std::move(next.tools);
  files = std::move(next.files);
  tick = next.tick;
  return OkStatus();
}

}  // namespace agx::transcript::claude
