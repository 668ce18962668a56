#include "tail/file_tailer.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "common/log.h"
#include "tail/container_log_decoder.h"
#include "tail/glob_expand.h"
#include "tail/line_splitter.h"

namespace agx {
namespace {

using detail::ContainerLogDecoder;
using detail::FileId;
using detail::FileStat;
using detail::InodeReused;
using detail::LineSplitter;
using Clock = std::chrono::steady_clock;

// Bytes read from one source in one Poll() before moving to the next, so that a file that
// grows as fast as we read cannot starve the others.
constexpr std::size_t kMaxBytesPerSourcePerPoll = std::size_t{64} << 20;
constexpr std::chrono::milliseconds kSleepStep{50};

// One followed source: a regular file (open, or parked: closed for max_open_files), or
// standard input.
struct Source {
  explicit Source(std::size_t max_line_bytes) : splitter(max_line_bytes) {}
  int fd = -1;                 // -1: parked (or stdin's 0)
  FilePosition pos;            // identity, last seen path, offset past the last complete line
  std::uint64_t read_pos = 0;  // offset of the next byte to read (pos.offset + pending bytes)
  LineSplitter splitter;       // kept while parked: a held partial line survives a reopen
  // Container log files only: unwraps records, joins partial lines (kept while parked).
  std::unique_ptr<ContainerLogDecoder> decoder;
  FileStat seen;               // the open file at its last fstat (size, mtime, birth time)
  FileStat at_path;            // what is under pos.path at this poll (when at_path_valid)
  bool at_path_valid = false;
  bool matched = false;              // matched by the current scan
  bool error_logged = false;         // a read error was logged and nothing was read since
  std::list<Source*>::iterator lru;  // among the open files (valid while fd >= 0)
};

FileId IdOf(const Source& s) { return {s.pos.dev, s.pos.ino}; }

// True when `st` (from pos.path) is not the parked or open source `s` any more.
bool OtherFile(const Source& s, const FileStat& st) {
  return st.id != IdOf(s) || (s.fd < 0 && InodeReused(s.seen, st));
}

}  // namespace

struct FileTailer::Impl {
  Impl(TailOptions o, TailSink* s)
      : options(std::move(o)),
        sink(s),
        record_limit(detail::MaxRecordBytes(options.container_log, options.max_line_bytes)),
        chunk_size(std::max<std::size_t>(options.read_chunk_bytes, 1)),
        max_open(std::max<std::size_t>(options.max_open_files, 1)),
        stdin_wanted(std::find(options.patterns.begin(), options.patterns.end(), "-") !=
                     options.patterns.end()) {
    if (stdin_wanted) {
      stdin_src = std::make_unique<Source>(options.max_line_bytes);
      stdin_src->fd = STDIN_FILENO;
      stdin_src->pos = FilePosition{std::string(1, '-'), 0, 0, 0};
    }
  }
  ~Impl() {
    for (auto& f : files) {
      if (f->fd >= 0) close(f->fd);
    }
  }

  std::size_t Poll();
  bool KnownPathChanged();
  std::size_t Scan();
  void Track(const detail::MatchedFile& m);
  std::uint64_t StartOffset(int fd, const detail::MatchedFile& m, std::uint64_t size, FileId id);
  std::uint64_t StartOfLastLine(int fd, std::uint64_t size);
  std::size_t Service(Source& s);
  bool Reopen(Source& s);
  void MakeRoom(const Source* keep);
  void Park(Source& s);
  std::size_t ReadFile(Source& s);
  std::size_t ReadStdin();
  void Deliver(Source& s, std::size_t n);
  void DeliverDecoded(Source& s, std::uint64_t start, std::size_t n);
  void CloseFile(Source& s);
  void ReportError(Source& s, std::string_view what, int err);
  void WarnOnce(std::set<std::string>* seen, const std::string& key, std::string_view msg,
                std::string_view detail);

  TailOptions options;
  TailSink* sink;
  std::size_t record_limit;  // a physical line's limit: max_line_bytes plus the wrapper's
  // The one read buffer, reused for every read. Allocated at the first read, not zeroed: a
  // tailer with nothing to read (no files configured) keeps no megabyte of idle memory.
  std::size_t chunk_size;
  std::unique_ptr<char[]> chunk_buf;
  char* chunk() {
    if (!chunk_buf) chunk_buf = std::make_unique_for_overwrite<char[]>(chunk_size);
    return chunk_buf.get();
  }
  std::size_t max_open;
  std::vector<std::string_view> lines;         // reused for every delivery
  std::vector<LineSplitter::LineEnd> line_ends;  // container logs: where each line ended
  ContainerLogDecoder::Output decoded;            // container logs: reused for every delivery
  std::vector<std::unique_ptr<Source>> files;  // in the order they were first opened
  std::list<Source*> open_files;               // the open ones, least recently grown first
  std::map<FileId, Source*> by_id;
  std::map<FileId, FilePosition> saved;    // Restore()d, not yet found
  std::set<std::string> saved_paths;       // paths of Restore()d positions
  std::map<std::string, FileId> path_ids;  // identity under each path at the last scan
  std::map<FileId, bool> open_failed;      // files that could not be opened (logged)
  std::set<std::string> warned;            // once-only warnings already written
  std::set<std::string> unreadable_dirs;   // warned about at the last scan (rearmed after)
  Clock::time_point next_scan{};
  bool scan_soon = false;  // a parked file's path showed another file: scan at the next poll
  bool first_poll = true;
  bool stdin_wanted;
  bool stdin_done = false;
  std::unique_ptr<Source> stdin_src;
  std::atomic<std::uint64_t> files_opened{0}, rotations{0}, truncations{0}, read_errors{0},
      scans{0}, files_reopened{0}, skipped_not_json{0}, skipped_bad_records{0},
      skipped_unterminated{0};
};

void FileTailer::Impl::WarnOnce(std::set<std::string>* seen, const std::string& key,
                                std::string_view msg, std::string_view detail) {
  if (seen->insert(key).second) log::Warn(msg, {{"path", key}, {"detail", detail}});
}

std::size_t FileTailer::Impl::Poll() {
  const Clock::time_point now = Clock::now();
  std::size_t total = 0;
  if (first_poll || scan_soon || now >= next_scan || KnownPathChanged()) {
    total += Scan();
    next_scan = now + options.scan_interval;
    scan_soon = false;
  }
  for (auto& f : files) total += Service(*f);
  if (stdin_wanted) total += ReadStdin();
  first_poll = false;
  return total;
}

// Between scans: one stat of each known path. True when a file is no longer under its path
// (renamed, deleted, replaced), so that rotation is handled now and not at the next scan.
bool FileTailer::Impl::KnownPathChanged() {
  for (auto& f : files) {
    f->at_path_valid = detail::StatPath(f->pos.path, &f->at_path) == 0;
    if (!f->at_path_valid || OtherFile(*f, f->at_path)) return true;
  }
  return false;
}

// Expands the patterns and matches the result against the known files. \return bytes read
// while draining files that are gone.
std::size_t FileTailer::Impl::Scan() {
  ++scans;
  detail::Expansion ex = detail::ExpandPatterns(options.patterns);
  if (options.container_log != ContainerLogFormat::kNone) {
    // Rotated container logs are compressed into new files (kubelet: "0.log.<time>.gz",
    // written as ".gz.tmp"): their lines were read before, under their previous name.
    std::erase_if(ex.files, [](const detail::MatchedFile& m) {
      std::string_view p = m.path;
      return p.ends_with(".gz") || p.ends_with(".gz.tmp");
    });
  }
  for (const auto& e : ex.errors) WarnOnce(&warned, e, "tail: glob failed", "glob(3) error");
  for (const auto& p : ex.non_regular) {
    WarnOnce(&warned, p, "tail: ignoring match that is not a regular file", "not a file");
  }
  // A `**` walk skips directories it cannot read: counted at each scan like other read
  // errors, logged once until the directory is readable again (or gone).
  std::set<std::string> unreadable_now;
  for (const auto& u : ex.unreadable) {
    ++read_errors;
    if (!unreadable_dirs.contains(u.path)) {
      log::Warn("tail: cannot read directory", {{"path", u.path}, {"error", u.error}});
    }
    unreadable_now.insert(u.path);
  }
  unreadable_dirs.swap(unreadable_now);

  // Match the expansion against the known files: by identity, so that a file renamed to
  // another matched name is continued rather than re-read.
  for (auto& f : files) f->matched = f->at_path_valid = false;
  std::map<std::string, FileId> new_path_ids;
  std::set<FileId> seen_ids;
  for (const auto& m : ex.files) {
    const FileId id = m.stat.id;
    auto it = by_id.find(id);
    // A parked file's inode number now naming another file means it was deleted: it stays
    // unmatched (closed below), and the new file is tracked from 0.
    const bool reused = it != by_id.end() && OtherFile(*it->second, m.stat);
    auto prev = path_ids.find(m.path);
    if (prev != path_ids.end() &&
        (prev->second != id || (reused && it->second->pos.path == m.path))) {
      ++rotations;
      log::Info("tail: file rotated", {{"path", m.path}});
    }
    new_path_ids.emplace(m.path, id);
    seen_ids.insert(id);
    if (it == by_id.end() || reused) continue;
    Source& s = *it->second;
    s.matched = true;
    if (s.pos.path != m.path) s.pos.path = m.path;
    s.at_path = m.stat;
    s.at_path_valid = true;
  }
  path_ids.swap(new_path_ids);

  // Files no longer matched (renamed away, deleted, or replaced under their path) are
  // drained to EOF (when open) and closed first, so their last lines precede those of
  // their successor.
  std::size_t total = 0;
  for (auto it = files.begin(); it != files.end();) {
    Source& s = **it;
    // A file still present under its path was only missed by the expansion (e.g. a glob
    // race): closing it would make it a new file and re-read it from 0.
    if (!s.matched && detail::StatPath(s.pos.path, &s.at_path) == 0 && !OtherFile(s, s.at_path)) {
      s.matched = s.at_path_valid = true;
    }
    if (s.matched) {
      ++it;
      continue;
    }
    if (s.fd >= 0) total += ReadFile(s);
    CloseFile(s);
    by_id.erase(IdOf(s));
    it = files.erase(it);
  }
  for (const auto& m : ex.files) {
    if (!by_id.contains(m.stat.id)) Track(m);
  }
  // Positions and failures of files that are gone are forgotten: should the inode number
  // be reused later, it is a new file.
  std::erase_if(saved, [&](const auto& kv) { return !seen_ids.contains(kv.first); });
  std::erase_if(open_failed, [&](const auto& kv) { return !seen_ids.contains(kv.first); });
  return total;
}

void FileTailer::Impl::Track(const detail::MatchedFile& m) {
  MakeRoom(nullptr);
  int fd = open(m.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return;  // vanished since the glob: nothing to read
    ++read_errors;
    if (!open_failed[m.stat.id]) {
      open_failed[m.stat.id] = true;
      log::Warn("tail: cannot open file", {{"path", m.path}, {"error", std::strerror(err)}});
    }
    return;
  }
  FileStat st;
  if (detail::StatFd(fd, &st) != 0 || !st.regular) {
    close(fd);
    return;
  }
  const FileId id = st.id;  // the path may have been replaced since the glob: trust the fd
  if (by_id.contains(id)) {
    close(fd);
    return;
  }
  open_failed.erase(m.stat.id);
  std::uint64_t offset = StartOffset(fd, m, st.size, id);
  auto src = std::make_unique<Source>(record_limit);
  src->fd = fd;
  if (options.container_log != ContainerLogFormat::kNone) {
    src->decoder = std::make_unique<ContainerLogDecoder>(options.container_log,
                                                         options.max_line_bytes, offset);
  }
  src->pos = FilePosition{m.path, id.dev, id.ino, offset};
  src->read_pos = offset;
  src->seen = src->at_path = st;
  src->at_path_valid = src->matched = true;
  src->lru = open_files.insert(open_files.end(), src.get());
  by_id.emplace(id, src.get());
  files.push_back(std::move(src));
  ++files_opened;
  log::Debug("tail: opened file", {{"path", m.path}, {"offset", std::to_string(offset)}});
}

std::uint64_t FileTailer::Impl::StartOffset(int fd, const detail::MatchedFile& m,
                                            std::uint64_t size, FileId id) {
  auto it = saved.find(id);
  if (it != saved.end()) {
    std::uint64_t offset = it->second.offset;
    saved.erase(it);
    if (size < offset) {  // truncated while we were not running
      ++truncations;
      log::Info("tail: file truncated since the saved position", {{"path", m.path}});
      return 0;
    }
    return offset;
  }
  // start_at_end skips history only for files that existed at startup and were not
  // followed before (a different file under a saved path was rotated in while we were down).
  if (first_poll && options.start_at_end && !saved_paths.contains(m.path)) {
    return StartOfLastLine(fd, size);
  }
  return 0;
}

// The end of the file, or the start of its unterminated last line so that the line is
// delivered whole once it is completed. The search is bounded: a longer last line is
// oversized anyway, and starting inside it makes the splitter skip and count it.
std::uint64_t FileTailer::Impl::StartOfLastLine(int fd, std::uint64_t size) {
  std::uint64_t window = static_cast<std::uint64_t>(options.max_line_bytes) + 1;
  std::uint64_t limit = size > window ? size - window : 0;
  std::uint64_t end = size;
  while (end > limit) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, end - limit));
    ssize_t r = pread(fd, chunk(), n, static_cast<off_t>(end - n));
    if (r != static_cast<ssize_t>(n)) return size;
    for (std::size_t i = n; i-- > 0;) {
      if (chunk_buf[i] == '\n') return end - n + i + 1;
    }
    end -= n;
  }
  return limit;
}

// Reads an open file, or a parked one whose path shows it changed (after opening it again).
std::size_t FileTailer::Impl::Service(Source& s) {
  if (s.fd < 0) {
    // at_path is from this poll's scan or KnownPathChanged(): both ran over every file.
    if (!s.at_path_valid || OtherFile(s, s.at_path)) return 0;  // for the next scan
    if (s.at_path.size == s.read_pos && s.at_path.mtime_ns == s.seen.mtime_ns) return 0;
    if (!Reopen(s)) return 0;
  }
  return ReadFile(s);
}

// Opens a parked file again under its path; false when another file is there now (the
// next scan sorts it out) or it cannot be opened.
bool FileTailer::Impl::Reopen(Source& s) {
  MakeRoom(&s);
  int fd = open(s.pos.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      scan_soon = true;
    } else {
      ReportError(s, "tail: cannot open file again", errno);
    }
    return false;
  }
  FileStat st;
  if (detail::StatFd(fd, &st) != 0 || OtherFile(s, st)) {
    close(fd);
    scan_soon = true;
    return false;
  }
  s.fd = fd;
  s.lru = open_files.insert(open_files.end(), &s);
  ++files_reopened;
  return true;
}

// Parks open files until one more may be opened: the least recently grown that was read
// to its end, else the least recently grown (parking loses nothing: the offset and any held
// partial line are kept, and a parked file with more to read is opened again next poll).
void FileTailer::Impl::MakeRoom(const Source* keep) {
  while (open_files.size() >= max_open) {
    Source* victim = nullptr;
    for (Source* c : open_files) {
      if (c == keep) continue;
      if (victim == nullptr) victim = c;
      if (c->read_pos >= c->seen.size) {
        victim = c;
        break;
      }
    }
    if (victim == nullptr) return;
    Park(*victim);
  }
}

void FileTailer::Impl::Park(Source& s) {
  close(s.fd);
  s.fd = -1;
  open_files.erase(s.lru);
  s.splitter.Compact();
  if (s.decoder) s.decoder->Compact();
  log::Debug("tail: parked idle file", {{"path", s.pos.path}});
}

std::size_t FileTailer::Impl::ReadFile(Source& s) {
  if (int err = detail::StatFd(s.fd, &s.seen); err != 0) {
    ReportError(s, "tail: cannot stat file", err);
    return 0;
  }
  if (s.seen.size < s.read_pos) {  // copytruncate
    ++truncations;
    log::Info("tail: file truncated", {{"path", s.pos.path}});
    s.splitter.Reset();
    if (s.decoder) s.decoder->Reset(0);
    s.read_pos = s.pos.offset = 0;
  }
  std::size_t total = 0;
  while (total < kMaxBytesPerSourcePerPoll) {
    ssize_t n = pread(s.fd, chunk(), chunk_size, static_cast<off_t>(s.read_pos));
    if (n < 0) {
      if (errno == EINTR) continue;
      ReportError(s, "tail: read failed", errno);
      break;
    }
    s.error_logged = false;
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
    Deliver(s, static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < chunk_size) break;  // short read: at EOF for now
  }
  if (total > 0) open_files.splice(open_files.end(), open_files, s.lru);  // most recent
  return total;
}

std::size_t FileTailer::Impl::ReadStdin() {
  std::size_t total = 0;
  Source& s = *stdin_src;
  while (!stdin_done && total < kMaxBytesPerSourcePerPoll) {
    pollfd p{s.fd, POLLIN, 0};
    int ready = poll(&p, 1, 0);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (p.revents & POLLNVAL) != 0) {
      ReportError(s, "tail: cannot poll stdin", ready < 0 ? errno : EBADF);
      stdin_done = true;
      break;
    }
    if (ready == 0) break;  // nothing available now
    ssize_t n = read(s.fd, chunk(), chunk_size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      ReportError(s, "tail: cannot read stdin", errno);
      stdin_done = true;
      break;
    }
    if (n == 0) {
      stdin_done = true;
      if (s.splitter.pending_bytes() > 0) {
        log::Warn("tail: dropping unterminated last line", {{"path", "-"}});
      }
      break;
    }
    total += static_cast<std::size_t>(n);
    Deliver(s, static_cast<std::size_t>(n));
  }
  return total;
}

// Splits the n bytes just read into chunk and hands the complete lines to the sink.
void FileTailer::Impl::Deliver(Source& s, std::size_t n) {
  std::uint64_t start = s.read_pos;
  s.read_pos += n;
  if (s.decoder) {
    DeliverDecoded(s, start, n);
    return;
  }
  LineSplitter::Result r = s.splitter.Split(std::string_view(chunk(), n), &lines);
  if (!r.any_newline) return;  // nothing completed: the position does not move
  s.pos.offset = start + r.complete_bytes;
  sink->OnLines(s.pos, lines, r.oversized);
}

// Container logs: the records go through the decoder, which says how far the sink may
// record (never into a line still being joined) and what it skipped.
void FileTailer::Impl::DeliverDecoded(Source& s, std::uint64_t start, std::size_t n) {
  LineSplitter::Result r = s.splitter.Split(std::string_view(chunk(), n), &lines, &line_ends);
  if (!r.any_newline) return;
  s.decoder->Decode(start, lines, line_ends, &decoded);
  skipped_not_json += decoded.not_json;
  skipped_bad_records += decoded.bad_records;
  if (decoded.offset == s.pos.offset && decoded.lines.empty() && decoded.oversized == 0) return;
  s.pos.offset = decoded.offset;
  sink->OnLines(s.pos, decoded.lines, decoded.oversized);
}

void FileTailer::Impl::CloseFile(Source& s) {
  if (s.splitter.pending_bytes() > 0) {
    log::Warn("tail: dropping unterminated last line of a closed file",
              {{"path", s.pos.path}, {"bytes", std::to_string(s.splitter.pending_bytes())}});
  }
  if (s.decoder && (s.decoder->pending() || s.splitter.pending_bytes() > 0)) {
    // Counted: the pieces of a split line whose end never came (e.g. written to the next
    // file after a rotation) are not events that the position could bring back.
    ++skipped_unterminated;
    if (s.decoder->pending()) {
      log::Warn("tail: dropping a container log line whose last part never came",
                {{"path", s.pos.path}});
    }
  }
  if (s.fd >= 0) {
    close(s.fd);
    s.fd = -1;
    open_files.erase(s.lru);
  }
  log::Info("tail: file closed", {{"path", s.pos.path}});
  sink->OnFileClosed(s.pos);
}

void FileTailer::Impl::ReportError(Source& s, std::string_view what, int err) {
  ++read_errors;
  if (s.error_logged) return;
  s.error_logged = true;
  log::Warn(what, {{"path", s.pos.path}, {"error", std::strerror(err)}});
}

FileTailer::FileTailer(TailOptions options, TailSink* sink)
    : impl_(std::make_unique<Impl>(std::move(options), sink)) {}

FileTailer::~FileTailer() = default;

void FileTailer::Restore(const std::vector<FilePosition>& positions) {
  for (const FilePosition& p : positions) {
    if (p.path == "-") continue;  // stdin has no position to resume
    impl_->saved[FileId{p.dev, p.ino}] = p;
    impl_->saved_paths.insert(p.path);
  }
}

std::size_t FileTailer::Poll() { return impl_->Poll(); }

void FileTailer::Run(const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::max(impl_->options.poll_interval, std::chrono::milliseconds(1));
  while (!stop.load(std::memory_order_relaxed)) {
    if (Poll() > 0) continue;
    const auto deadline = Clock::now() + interval;
    for (auto now = Clock::now(); now < deadline && !stop.load(std::memory_order_relaxed);
         now = Clock::now()) {
      std::this_thread::sleep_for(std::min<Clock::duration>(kSleepStep, deadline - now));
    }
  }
}

bool FileTailer::StdinDone() const { return impl_->stdin_done; }

TailStats FileTailer::stats() const {
  return TailStats{impl_->files_opened.load(),        impl_->rotations.load(),
                   impl_->truncations.load(),         impl_->read_errors.load(),
                   impl_->scans.load(),               impl_->files_reopened.load(),
                   impl_->skipped_not_json.load(),    impl_->skipped_bad_records.load(),
                   impl_->skipped_unterminated.load()};
}

}  // namespace agx
