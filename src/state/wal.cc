#include "state/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <vector>

#include "common/log.h"
#include "state/file_util.h"
#include "state/wal_format.h"

namespace agx {

using state_detail::EncodeRecord;
using state_detail::ErrnoMessage;
using state_detail::FsyncDir;
using state_detail::OpenStateFile;
using state_detail::ScanSegment;
using state_detail::SegmentFileName;
using state_detail::UniqueFd;

namespace {

struct Segment {
  std::uint64_t first_seq = 0;
  std::uint64_t records = 0;
  std::uint64_t size = 0;  // bytes of intact records
  std::string path;

  std::uint64_t end_seq() const { return first_seq + records; }  // one past the last
  /// True when every record has seq <= `seq` (vacuously for an empty segment).
  bool CoveredBy(std::uint64_t seq) const { return records == 0 || end_seq() - 1 <= seq; }
};

Result<std::vector<Segment>> ListSegments(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Error{ErrnoMessage("wal: open directory", dir)};
  std::vector<Segment> out;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    Segment s;
    if (state_detail::ParseSegmentFileName(e->d_name, &s.first_seq)) {
      s.path = dir + "/" + e->d_name;
      out.push_back(std::move(s));
    }
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) {
    errno = err;
    return Error{ErrnoMessage("wal: read directory", dir)};
  }
  std::sort(out.begin(), out.end(),
            [](const Segment& a, const Segment& b) { return a.first_seq < b.first_seq; });
  return out;
}

}  // namespace

struct Wal::Impl {
  std::string dir;
  std::uint64_t max_segment_bytes = kDefaultSegmentBytes;
  UniqueFd lock_fd;

  mutable std::mutex mu;
  // Everything below is guarded by mu.
  std::vector<Segment> segments;  // ascending; back() is the one being appended to
  UniqueFd fd;                    // segments.back(), open for writing
  std::uint64_t next_seq = 1;
  std::uint64_t total_bytes = 0;
  std::string broken;  // set after an I/O failure that leaves the tail uncertain
  std::chrono::steady_clock::time_point last_recovery{};  // of the last attempt

  Status ValidateExisting();
  Status StartSegmentLocked();
  bool RecoverLocked();
};

// After a failure that left the tail uncertain (a write whose partial record could not be
// cut off, or a failed fdatasync), the log is usable again once the segment is cut back to
// its last acknowledged record and that is synced: everything before it was synced when it
// was acknowledged. Tried at most once a second, on the next append (e.g. after the disk
// was remounted read-write or space was freed).
bool Wal::Impl::RecoverLocked() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_recovery < std::chrono::seconds(1)) return false;
  last_recovery = now;
  const Segment& cur = segments.back();
  if (::ftruncate(fd.get(), static_cast<off_t>(cur.size)) != 0 || ::fdatasync(fd.get()) != 0) {
    return false;
  }
  log::Info("wal: recovered after an I/O failure", {{"file", cur.path}, {"was", broken}});
  broken.clear();
  return true;
}

// Scans every segment, checks the sequence is gapless, and cuts a torn tail off the last one.
Status Wal::Impl::ValidateExisting() {
  for (std::size_t i = 0; i < segments.size(); ++i) {
    Segment& s = segments[i];
    const bool last = i + 1 == segments.size();
    if (i > 0 && s.first_seq != segments[i - 1].end_seq()) {
      return Error{"wal: " + s.path + " starts at seq " + std::to_string(s.first_seq) +
                   " but the previous segment ends before seq " +
                   std::to_string(segments[i - 1].end_seq()) + " (missing or extra records)"};
    }
    auto opened = OpenStateFile(s.path, last ? O_RDWR : O_RDONLY);
    if (!opened.ok()) return Error{"wal: " + opened.error()};
    UniqueFd rfd = std::move(opened.value());
    struct stat st {};
    if (::fstat(rfd.get(), &st) != 0) return Error{ErrnoMessage("wal: stat", s.path)};
    const auto file_size = static_cast<std::uint64_t>(st.st_size);
    auto scan = ScanSegment(rfd.get(), file_size, s.first_seq, s.path, nullptr);
    if (!scan.ok()) return Error{"wal: " + scan.error()};
    s.records = scan->records;
    s.size = scan->good_end;
    if (scan->problem.empty()) continue;
    std::string where = s.path + " at offset " + std::to_string(scan->problem_offset);
    if (!last) return Error{"wal: corrupt record in " + where + ": " + scan->problem};
    // The last segment: a torn tail from a crash mid-append is expected and cut off, but an
    // intact record after the bad one means acknowledged data is damaged: refuse.
    auto later = state_detail::FindIntactRecord(rfd.get(), scan->problem_offset + 1, file_size,
                                                s.end_seq(), s.path);
    if (!later.ok()) return Error{"wal: " + later.error()};
    if (*later >= 0) {
      return Error{"wal: corrupt record in " + where + ": " + scan->problem +
                   ", followed by an intact record at offset " + std::to_string(*later)};
    }
    if (::ftruncate(rfd.get(), static_cast<off_t>(s.size)) != 0 || ::fsync(rfd.get()) != 0) {
      return Error{ErrnoMessage("wal: truncate torn tail of", s.path)};
    }
    log::Warn("wal: cut a torn record off the log tail",
              {{"file", s.path},
               {"offset", std::to_string(s.size)},
               {"bytes", std::to_string(file_size - s.size)},
               {"reason", scan->problem}});
  }
  return OkStatus();
}

// Creates an empty segment named by next_seq and makes it the one appended to.
Status Wal::Impl::StartSegmentLocked() {
  Segment s;
  s.first_seq = next_seq;
  s.path = dir + "/" + SegmentFileName(next_seq);
  // O_TRUNC, not O_EXCL: a file of this name can only be an empty leftover of an attempt
  // whose directory fsync failed (the lock keeps other writers out).
  auto created = OpenStateFile(s.path, O_WRONLY | O_CREAT | O_TRUNC);
  if (!created.ok()) return Error{"wal: create segment: " + created.error()};
  UniqueFd nfd = std::move(created.value());
  if (auto st = FsyncDir(dir); !st.ok()) return Error{"wal: " + st.error()};
  fd = std::move(nfd);
  segments.push_back(std::move(s));
  return OkStatus();
}

Result<std::unique_ptr<Wal>> Wal::Open(const std::string& dir, std::uint64_t max_segment_bytes) {
  if (auto st = state_detail::MakeDirs(dir); !st.ok()) return Error{"wal: " + st.error()};
  std::unique_ptr<Wal> wal(new Wal());
  wal->impl_ = std::make_unique<Impl>();
  Impl& im = *wal->impl_;
  im.dir = dir;
  im.max_segment_bytes = std::max<std::uint64_t>(max_segment_bytes, 1);

  std::string lock_path = dir + "/wal.lock";
  auto lock_file = OpenStateFile(lock_path, O_RDWR | O_CREAT);
  if (!lock_file.ok()) return Error{"wal: " + lock_file.error()};
  im.lock_fd = std::move(lock_file.value());
  if (::flock(im.lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error{"wal: " + dir + " is in use by another writer (" + lock_path + " is locked)"};
    }
    return Error{ErrnoMessage("wal: lock", lock_path)};
  }

  auto segs = ListSegments(dir);
  if (!segs.ok()) return Error{segs.error()};
  im.segments = std::move(*segs);
  if (auto st = im.ValidateExisting(); !st.ok()) return Error{st.error()};

  std::lock_guard<std::mutex> lock(im.mu);
  if (im.segments.empty()) {
    if (auto st = im.StartSegmentLocked(); !st.ok()) return Error{st.error()};
  } else {
    const Segment& cur = im.segments.back();
    im.next_seq = cur.end_seq();
    auto opened = OpenStateFile(cur.path, O_WRONLY);
    if (!opened.ok()) return Error{"wal: " + opened.error()};
    im.fd = std::move(opened.value());
  }
  for (const auto& s : im.segments) im.total_bytes += s.size;
  return wal;
}

Wal::~Wal() = default;

Result<std::uint64_t> Wal::Append(std::string_view payload) {
  if (payload.size() > kMaxPayloadBytes) {
    return Error{"wal: payload of " + std::to_string(payload.size()) +
                 " bytes exceeds the maximum of " + std::to_string(kMaxPayloadBytes)};
  }
  // Encode and checksum outside the lock; only the seq is filled in under it.
  std::string record;
  record.reserve(state_detail::kRecordHeaderBytes + payload.size());
  EncodeRecord(0, payload, &record);

  Impl& im = *impl_;
  std::lock_guard<std::mutex> lock(im.mu);
  if (!im.broken.empty() && !im.RecoverLocked()) {
    return Error{"wal: refusing to append after an earlier failure (retried every second): " +
                 im.broken};
  }
  if (im.segments.back().records > 0 &&
      im.segments.back().size + record.size() > im.max_segment_bytes) {
    if (auto st = im.StartSegmentLocked(); !st.ok()) return Error{st.error()};
  }
  Segment& cur = im.segments.back();
  const std::uint64_t seq = im.next_seq;
  state_detail::PatchRecordSeq(record.data(), seq);
  if (auto st = state_detail::WriteAllAt(im.fd.get(), record, cur.size, cur.path); !st.ok()) {
    // Remove the partial record so later records do not land after garbage.
    if (::ftruncate(im.fd.get(), static_cast<off_t>(cur.size)) != 0) im.broken = st.error();
    return Error{"wal: " + st.error()};
  }
  if (::fdatasync(im.fd.get()) != 0) {
    // After a failed fsync the page cache state is unknown; retrying could report success
    // for data that never reached the disk.
    im.broken = ErrnoMessage("fdatasync", cur.path);
    return Error{"wal: " + im.broken};
  }
  cur.size += record.size();
  ++cur.records;
  im.total_bytes += record.size();
  ++im.next_seq;
  return seq;
}

Status Wal::Replay(std::uint64_t after_seq,
                   const std::function<void(std::uint64_t, std::string_view)>& fn) {
  struct Pending {
    Segment seg;
    UniqueFd fd;
  };
  std::vector<Pending> todo;
  {
    // Open the files under the lock: a concurrent Compact may unlink them afterwards, and
    // the snapshot of sizes excludes records appended after this point.
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (const auto& s : impl_->segments) {
      if (s.CoveredBy(after_seq)) continue;
      auto fd = OpenStateFile(s.path, O_RDONLY);
      if (!fd.ok()) return Error{"wal: " + fd.error()};
      todo.push_back({s, std::move(fd.value())});
    }
  }
  for (auto& p : todo) {
    auto scan = ScanSegment(p.fd.get(), p.seg.size, p.seg.first_seq, p.seg.path,
                            [&](std::uint64_t seq, std::string_view payload) {
                              if (seq > after_seq) fn(seq, payload);
                            });
    if (!scan.ok()) return Error{"wal: " + scan.error()};
    if (!scan->problem.empty() || scan->records != p.seg.records) {
      return Error{"wal: corrupt record in " + p.seg.path + " at offset " +
                   std::to_string(scan->problem_offset) + " during replay: " +
                   (scan->problem.empty() ? "segment shrank" : scan->problem)};
    }
  }
  return OkStatus();
}

Status Wal::Compact(std::uint64_t upto_seq) {
  Impl& im = *impl_;
  std::lock_guard<std::mutex> lock(im.mu);
  if (im.segments.back().records > 0) {
    if (auto st = im.StartSegmentLocked(); !st.ok()) return Error{st.error()};
  }
  // Delete a prefix, oldest first, so that a crash part-way leaves a gapless suffix.
  std::size_t n = 0;
  while (n + 1 < im.segments.size() && im.segments[n].CoveredBy(upto_seq)) {
    const Segment& s = im.segments[n];
    if (::unlink(s.path.c_str()) != 0 && errno != ENOENT) {
      Status err = Error{ErrnoMessage("wal: delete", s.path)};
      im.segments.erase(im.segments.begin(), im.segments.begin() + static_cast<long>(n));
      return err;
    }
    im.total_bytes -= s.size;
    ++n;
  }
  if (n == 0) return OkStatus();
  im.segments.erase(im.segments.begin(), im.segments.begin() + static_cast<long>(n));
  if (auto st = FsyncDir(im.dir); !st.ok()) return Error{"wal: " + st.error()};
  return OkStatus();
}

std::uint64_t Wal::last_seq() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->next_seq - 1;
}

std::uint64_t Wal::bytes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->total_bytes;
}

}  // namespace agx
