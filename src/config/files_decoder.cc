// The tailed sources of config/agent_exporter.yml: `ingest.files` (with formats),
// `otlp.files` and `ingest.transcripts`.
#include <cstdlib>
#include <map>
#include <string>

#include "config/config_decoder.h"
#include "config/scalar_syntax.h"

namespace agx::config_detail {
namespace {

// A path or glob to tail: non-empty; a leading "~/" (or a lone "~") is $HOME, as a shell
// would expand it, so that the documented `~/.claude/projects` works as written.
bool ReadTailPath(const Value& v, Diagnostics* d, std::string* out) {
  std::string s;
  if (!ReadString(v, d, &s)) return false;
  if (s.empty()) {
    d->Add(v.mark(), v.Message("must not be empty"));
    return false;
  }
  if (s[0] == '~') {
    if (s.size() > 1 && s[1] != '/') {
      d->Add(v.mark(), v.Message("only \"~/\" (the HOME of the exporter's user) is expanded, "
                                 "not \"~user\": got " + Quoted(s)));
      return false;
    }
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') {
      d->Add(v.mark(), v.Message(Quoted(s) + " needs HOME, which is not set: give an absolute "
                                 "path"));
      return false;
    }
    s = std::string(home) + s.substr(1);
  }
  *out = std::move(s);
  return true;
}

// Remembers the line of each entry and reports a second occurrence.
class DuplicateCheck {
 public:
  bool Add(const Value& item, const std::string& key, Diagnostics* d) {
    auto [it, inserted] = seen_.emplace(key, Line(item.mark()));
    if (!inserted) {
      d->Add(item.mark(), item.Message("duplicate entry " + Quoted(key) + " (first at line " +
                                       std::to_string(it->second) + ")"));
    }
    return inserted;
  }

 private:
  std::map<std::string, int> seen_;
};

// "<dir>/**/*.jsonl": every session file at any depth below a transcript directory.
std::string SessionPattern(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/**/*.jsonl";
}

// agent_id of transcript events: non-empty, and "{project}" is the only placeholder.
bool ReadAgentIdTemplate(const Value& v, Diagnostics* d, std::string* out) {
  std::string s;
  if (!ReadString(v, d, &s)) return false;
  if (s.empty()) {
    d->Add(v.mark(), v.Message("must not be empty"));
    return false;
  }
  for (std::size_t i = s.find('{'); i != std::string::npos; i = s.find('{', i + 1)) {
    if (s.compare(i, 9, "{project}") != 0) {
      d->Add(v.mark(), v.Message("unknown placeholder in " + Quoted(s) +
                                 " (only {project} is replaced)"));
      return false;
    }
  }
  *out = std::move(s);
  return true;
}

// ingest.transcripts.<format>: a directory, a list of them, or {dirs, agent_id}.
void DecodeTranscriptSource(const Value& v, TranscriptSourceConfig* out, Diagnostics* d) {
  std::vector<std::string> dirs;
  bool ok = true;
  DuplicateCheck dup;
  auto read_dir = [&](const Value& item) {
    std::string dir;
    if (!ReadTailPath(item, d, &dir) || !dup.Add(item, dir, d)) {
      ok = false;
      return;
    }
    if (dir == "-") {
      d->Add(item.mark(), item.Message("standard input (\"-\") is read as native events only"));
      ok = false;
      return;
    }
    dirs.push_back(std::move(dir));
  };
  auto read_dirs = [&](const Value& x) {
    if (x.node.IsSequence()) {
      ok = ForEachItem(x, d, read_dir) && ok;
    } else {
      read_dir(x);
    }
  };
  std::string agent_id = out->agent_id;
  if (v.node.IsMap()) {
    const Field fields[] = {
        {"dirs", read_dirs},
        {"agent_id", [&](const Value& x) { ok = ReadAgentIdTemplate(x, d, &agent_id) && ok; }},
    };
    DecodeMapping(v, fields, d);
  } else {
    read_dirs(v);
  }
  if (!ok) return;
  out->files.clear();
  for (std::string& dir : dirs) out->files.push_back(SessionPattern(std::move(dir)));
  out->agent_id = std::move(agent_id);
}

}  // namespace

void DecodeFiles(const Value& v, std::vector<std::string>* files, Diagnostics* d) {
  std::vector<std::string> out;
  DuplicateCheck dup;
  bool ok = true;
  const bool is_list = ForEachItem(v, d, [&](const Value& item) {
    std::string s;
    if (!ReadTailPath(item, d, &s) || !dup.Add(item, s, d)) {
      ok = false;
      return;
    }
    out.push_back(std::move(s));
  });
  if (is_list && ok) *files = std::move(out);
}

void DecodeTailedFiles(const Value& v, const TailedFiles& out, Diagnostics* d) {
  std::vector<std::string> lists[4];  // native, otlp_json, claude_code, codex
  static constexpr std::string_view kFormats[4] = {"native", "otlp_json", "claude_code", "codex"};
  // By format (native, otlp_json), then wrapper (cri, docker_json).
  std::vector<std::string> container_lists[2][2];
  static constexpr std::string_view kWrappers[2] = {"cri", "docker_json"};
  DuplicateCheck dup;
  bool ok = true;
  const bool is_list = ForEachItem(v, d, [&](const Value& item) {
    std::string path;
    std::size_t format = 0;
    std::size_t wrapper = 2;  // none
    if (item.node.IsMap()) {
      bool has_path = false;
      const Field fields[] = {
          {"path", [&](const Value& x) { has_path = ReadTailPath(x, d, &path); ok = ok && has_path; }},
          {"format",
           [&](const Value& x) {
             std::string f;
             if (!ReadString(x, d, &f)) {
               ok = false;
               return;
             }
             format = 4;
             for (std::size_t i = 0; i < 4; ++i) {
               if (f == kFormats[i]) format = i;
             }
             if (format == 4) {
               d->Add(x.mark(), x.Message("unknown format " + Quoted(f) +
                                          " (native, otlp_json, claude_code or codex)"));
               ok = false;
               format = 0;
             }
           }},
          {"container_log",
           [&](const Value& x) {
             std::string w;
             if (!ReadString(x, d, &w)) {
               ok = false;
               return;
             }
             for (std::size_t i = 0; i < 2; ++i) {
               if (w == kWrappers[i]) wrapper = i;
             }
             if (wrapper == 2) {
               d->Add(x.mark(), x.Message("unknown container_log " + Quoted(w) +
                                          " (cri or docker_json)"));
               ok = false;
             }
           }},
      };
      const std::size_t before = d->size();
      DecodeMapping(item, fields, d);
      if (d->size() != before) {
        ok = false;
        return;
      }
      if (!has_path) {
        d->Add(item.mark(), item.Message("missing key \"path\""));
        ok = false;
        return;
      }
      if (path == "-" && format != 0) {
        d->Add(item.mark(), item.Message("standard input (\"-\") is read as native events only"));
        ok = false;
        return;
      }
      if (wrapper != 2 && path == "-") {
        d->Add(item.mark(), item.Message("container_log applies to files, not to standard "
                                         "input (\"-\")"));
        ok = false;
        return;
      }
      if (wrapper != 2 && format > 1) {
        d->Add(item.mark(), item.Message("container_log applies to the native and otlp_json "
                                         "formats, not to " + std::string(kFormats[format]) +
                                         " transcripts"));
        ok = false;
        return;
      }
    } else if (!ReadTailPath(item, d, &path)) {
      ok = false;
      return;
    }
    if (!dup.Add(item, path, d)) {
      ok = false;
      return;
    }
    if (wrapper != 2) {
      container_lists[format][wrapper].push_back(std::move(path));
    } else {
      lists[format].push_back(std::move(path));
    }
  });
  if (!is_list || !ok) return;
  for (std::size_t f = 0; f < 2; ++f) {
    ContainerLogFiles* c = f == 0 ? out.native_containers : out.otlp_containers;
    c->cri = std::move(container_lists[f][0]);
    c->docker_json = std::move(container_lists[f][1]);
  }
  *out.native = std::move(lists[0]);
  *out.otlp_json = std::move(lists[1]);
  *out.claude_code = std::move(lists[2]);
  *out.codex = std::move(lists[3]);
}

void DecodeTranscripts(const Value& v, TranscriptsConfig* out, Diagnostics* d) {
  auto count = [&](std::int64_t min, std::int64_t max, std::size_t* field) {
    return [=](const Value& x) {
      std::int64_t n = 0;
      if (ReadInt(x, min, max, d, &n)) *field = static_cast<std::size_t>(n);
    };
  };
  const Field fields[] = {
      {"claude_code", [&](const Value& x) { DecodeTranscriptSource(x, &out->claude_code, d); }},
      {"codex", [&](const Value& x) { DecodeTranscriptSource(x, &out->codex, d); }},
      {"max_messages", count(1024, 1 << 24, &out->max_messages)},
      {"max_pending_tool_calls", count(16, 1 << 24, &out->max_pending_tool_calls)},
      {"max_sessions", count(16, 1 << 20, &out->max_sessions)},
      {"max_line_bytes", [&](const Value& x) { ReadSize(x, d, &out->max_line_bytes); }},
      {"start_at",
       [&](const Value& x) {
         std::string s;
         if (!ReadString(x, d, &s)) return;
         if (s == "beginning" || s == "end") {
           out->start_at_end = s == "end";
         } else {
           d->Add(x.mark(), x.Message("must be \"beginning\" or \"end\", got " + Quoted(s)));
         }
       }},
  };
  DecodeMapping(v, fields, d);
}

}  // namespace agx::config_detail
