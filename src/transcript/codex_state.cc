// CodexMapper::Save and Load: the mapper's state as one line of text for the snapshot
// (transcript_mapper.h). Tokens are separated by single spaces; strings are written as 's'
// followed by their bytes with '%', controls, space and bytes >= 0x7f as %XX, so the text has
// no '\n' and an empty string is one token. Files come least recently written first (Load
// rebuilds the same order), pending tool calls oldest first.
//
//   codex-state-v1 <files> <pending>
//   F <dev> <ino> s<model> s<project> <input> <cached> <cache_write> <output> <reasoning>
//     <total> <present> <has_records> <n> s<id>... <turn_open> <turn_start_ns> <llm_calls>
//     <tool_calls> <request_start_ns> <streaming> s<last_custom_call>
//   P <dev> <ino> s<call_id> s<name> <start_ns> <failed> <custom>
#include <charconv>

#include "transcript/codex_mapper.h"

namespace agx::transcript {
namespace {

void PutNum(std::string* out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out->push_back(' ');
  out->append(buf, end);
}

void PutStr(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->append(" s");
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '%') {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    } else {
      out->push_back(ch);
    }
  }
}

/// Reads the tokens of a saved state; any malformed token makes ok() false.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ >= s_.size(); }

  std::string_view Token() {
    if (!ok_ || pos_ >= s_.size()) return Bad();
    const std::size_t end = std::min(s_.find(' ', pos_), s_.size());
    std::string_view t = s_.substr(pos_, end - pos_);
    pos_ = end < s_.size() ? end + 1 : end;
    if (t.empty()) return Bad();
    return t;
  }
  std::uint64_t Num(std::uint64_t max = UINT64_MAX) {
    const std::string_view t = Token();
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (!ok_ || ec != std::errc() || p != t.data() + t.size() || v > max) {
      ok_ = false;
      return 0;
    }
    return v;
  }
  bool Bool() { return Num(1) == 1; }
  std::string Str(std::size_t max_bytes) {
    const std::string_view t = Token();
    std::string out;
    if (!ok_ || t.front() != 's') {
      ok_ = false;
      return out;
    }
    for (std::size_t i = 1; i < t.size(); ++i) {
      if (t[i] != '%') {
        out.push_back(t[i]);
      } else if (i + 2 < t.size() && Hex(t[i + 1]) >= 0 && Hex(t[i + 2]) >= 0) {
        out.push_back(static_cast<char>(Hex(t[i + 1]) * 16 + Hex(t[i + 2])));
        i += 2;
      } else {
        ok_ = false;
        return {};
      }
      if (out.size() > max_bytes) {
        ok_ = false;
        return {};
      }
    }
    return out;
  }

 private:
  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  std::string_view Bad() {
    ok_ = false;
    return "-";
  }
  std::string_view s_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string CodexMapper::Save() const {
  std::string out(kStateVersion);
  PutNum(&out, files_.size());
  PutNum(&out, pending_.size());
  for (auto k = lru_.rbegin(); k != lru_.rend(); ++k) {
    const FileState& fs = files_.at(*k);
    out.append(" F");
    PutNum(&out, k->dev);
    PutNum(&out, k->ino);
    PutStr(&out, fs.model);
    PutStr(&out, fs.project);
    const codex::Usage& a = fs.accounted;
    for (std::uint64_t v : {a.input, a.cached, a.cache_write, a.output, a.reasoning, a.total}) {
      PutNum(&out, v);
    }
    PutNum(&out, a.present);
    PutNum(&out, fs.has_records);
    PutNum(&out, fs.recent_ids.size());
    for (const std::string& id : fs.recent_ids) PutStr(&out, id);
    PutNum(&out, fs.turn.open);
    PutNum(&out, fs.turn.start_ns);
    PutNum(&out, fs.turn.llm_calls);
    PutNum(&out, fs.turn.tool_calls);
    PutNum(&out, fs.request_start_ns);
    PutNum(&out, fs.streaming);
    PutStr(&out, fs.last_custom_call);
  }
  for (const Pending& p : pending_) {
    out.append(" P");
    PutNum(&out, p.file.dev);
    PutNum(&out, p.file.ino);
    PutStr(&out, p.call_id);
    PutStr(&out, p.name);
    PutNum(&out, p.start_ns);
    PutNum(&out, p.failed);
    PutNum(&out, p.custom);
  }
  return out;
}

Status CodexMapper::Load(std::string_view state) {
  Reader r(state);
  if (state.ends_with(' ') || r.Token() != kStateVersion || !r.ok()) {
    return Error{"codex mapper state: not a " + std::string(kStateVersion) + " state"};
  }
  // Strings were cut before they were saved; a longer one is not a state we wrote.
  const std::size_t label_max = limits_.label_value_max_bytes + 4;
  const std::uint64_t nfiles = r.Num(1u << 24);
  const std::uint64_t npending = r.Num(1u << 24);
  std::unordered_map<FileKey, FileState, FileKeyHash> files;
  std::list<FileKey> lru;
  std::list<Pending> pending;
  for (std::uint64_t i = 0; i < nfiles && r.ok(); ++i) {
    if (r.Token() != "F") return Error{"codex mapper state: malformed file entry"};
    FileKey k{r.Num(), r.Num()};
    FileState fs;
    fs.model = r.Str(label_max);
    fs.project = r.Str(label_max);
    codex::Usage& a = fs.accounted;
    for (std::uint64_t* v : {&a.input, &a.cached, &a.cache_write, &a.output, &a.reasoning, &a.total}) {
      *v = r.Num();
    }
    a.present = r.Bool();
    fs.has_records = r.Bool();
    const std::uint64_t nids = r.Num(kRecentResponseIds);
    for (std::uint64_t j = 0; j < nids && r.ok(); ++j) fs.recent_ids.push_back(r.Str(kMaxIdBytes));
    fs.turn.open = r.Bool();
    fs.turn.start_ns = r.Num();
    fs.turn.llm_calls = r.Num();
    fs.turn.tool_calls = r.Num();
    fs.request_start_ns = r.Num();
    fs.streaming = r.Bool();
    fs.last_custom_call = r.Str(kMaxIdBytes);
    if (!r.ok() || files.count(k) != 0) return Error{"codex mapper state: malformed file entry"};
    lru.push_front(k);
    fs.lru = lru.begin();
    files.emplace(k, std::move(fs));
  }
  for (std::uint64_t i = 0; i < npending && r.ok(); ++i) {
    if (r.Token() != "P") return Error{"codex mapper state: malformed pending tool call"};
    Pending p;
    p.file = FileKey{r.Num(), r.Num()};
    p.call_id = r.Str(kMaxIdBytes);
    p.name = r.Str(label_max);
    p.start_ns = r.Num();
    p.failed = r.Bool();
    p.custom = r.Bool();
    pending.push_back(std::move(p));
  }
  if (!r.ok() || !r.done()) return Error{"codex mapper state: malformed or trailing data"};
  files_ = std::move(files);
  lru_ = std::move(lru);
  pending_ = std::move(pending);
  pending_index_.clear();
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto [pos, added] = pending_index_.emplace(PendingKey(it->file, it->call_id), it);
    if (!added) {
      it = pending_.erase(it);  // duplicate: not a state we wrote; keep the first
    } else {
      ++it;
    }
  }
  // Limits may have shrunk since the state was saved.
  while (files_.size() > std::max<std::size_t>(limits_.max_files, 1)) Forget(lru_.back());
  while (pending_.size() > std::max<std::size_t>(limits_.max_pending_tools, 1)) {
    pending_index_.erase(PendingKey(pending_.front().file, pending_.front().call_id));
    pending_.pop_front();
  }
  return OkStatus();
}

}  // namespace agx::transcript
