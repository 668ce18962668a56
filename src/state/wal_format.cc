#include "state/wal_format.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "state/file_util.h"
#include "state/wal.h"

namespace agx::state_detail {
namespace {

constexpr std::size_t kChunkBytes = 1 << 20;

void PutLe(char* p, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t GetLe(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::uint32_t Crc(std::string_view data) {
  // zlib's crc32 takes a uInt length: feed it in pieces for payloads beyond 4 GiB-proof.
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  std::size_t left = data.size();
  while (left > 0) {
    uInt n = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
    crc = crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return static_cast<std::uint32_t>(crc);
}

// Buffered sequential reader over [0, limit) of a file, with pread.
class ChunkReader {
 public:
  ChunkReader(int fd, std::uint64_t start, std::uint64_t limit, std::string_view path)
      : fd_(fd), base_(start), limit_(limit), path_(path) {}

  /// Makes `n` bytes available at data(). \return false at end of range or file.
  Result<bool> Ensure(std::size_t n) {
    while (buf_.size() - pos_ < n) {
      if (pos_ > 0) {
        buf_.erase(0, pos_);
        base_ += pos_;
        pos_ = 0;
      }
      std::uint64_t read_off = base_ + buf_.size();
      if (read_off >= limit_) return false;
      std::size_t want = std::max(n - buf_.size(), kChunkBytes);
      want = static_cast<std::size_t>(std::min<std::uint64_t>(want, limit_ - read_off));
      std::size_t old = buf_.size();
      buf_.resize(old + want);
      ssize_t r;
      do {
        r = ::pread(fd_, buf_.data() + old, want, static_cast<off_t>(read_off));
      } while (r < 0 && errno == EINTR);
      if (r < 0) {
        buf_.resize(old);
        return Error{ErrnoMessage("read", path_)};
      }
      buf_.resize(old + static_cast<std::size_t>(r));
      if (r == 0) return false;
    }
    return true;
  }
  const char* data() const { return buf_.data() + pos_; }
  std::uint64_t offset() const { return base_ + pos_; }
  void Skip(std::size_t n) { pos_ += n; }

 private:
  int fd_;
  std::uint64_t base_;  // file offset of buf_[0]
  std::uint64_t limit_;
  std::string_view path_;
  std::string buf_;
  std::size_t pos_ = 0;
};

}  // namespace

void EncodeRecord(std::uint64_t seq, std::string_view payload, std::string* out) {
  std::size_t at = out->size();
  out->resize(at + kRecordHeaderBytes);
  char* h = out->data() + at;
  PutLe(h, payload.size(), 4);
  PutLe(h + 4, Crc(payload), 4);
  PutLe(h + 8, seq, 8);
  out->append(payload);
}

void PatchRecordSeq(char* record, std::uint64_t seq) { PutLe(record + 8, seq, 8); }

std::string SegmentFileName(std::uint64_t first_seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "wal-%020llu.log", static_cast<unsigned long long>(first_seq));
  return buf;
}

bool ParseSegmentFileName(std::string_view name, std::uint64_t* first_seq) {
  constexpr std::string_view kPrefix = "wal-", kSuffix = ".log";
  if (name.size() != kPrefix.size() + 20 + kSuffix.size()) return false;
  if (name.substr(0, 4) != kPrefix || name.substr(24) != kSuffix) return false;
  std::uint64_t v = 0;
  for (char c : name.substr(4, 20)) {
    if (c < '0' || c > '9') return false;
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *first_seq = v;
  return true;
}

Result<ScanResult> ScanSegment(int fd, std::uint64_t limit, std::uint64_t first_seq,
                               std::string_view path, const RecordFn& fn) {
  ScanResult res;
  ChunkReader in(fd, 0, limit, path);
  std::uint64_t expect = first_seq;
  for (;;) {
    std::uint64_t at = in.offset();
    auto stop = [&](std::string why) {
      res.problem = std::move(why);
      res.problem_offset = at;
      return res;
    };
    auto head = in.Ensure(kRecordHeaderBytes);
    if (!head.ok()) return Error{head.error()};
    if (!*head) {
      if (at < limit) return stop("incomplete record header");
      return res;
    }
    std::uint64_t len = GetLe(in.data(), 4);
    auto crc = static_cast<std::uint32_t>(GetLe(in.data() + 4, 4));
    std::uint64_t seq = GetLe(in.data() + 8, 8);
    if (len > Wal::kMaxPayloadBytes) {
      return stop("record length " + std::to_string(len) + " exceeds the maximum");
    }
    auto body = in.Ensure(kRecordHeaderBytes + len);
    if (!body.ok()) return Error{body.error()};
    if (!*body) return stop("incomplete record (length " + std::to_string(len) + ")");
    std::string_view payload(in.data() + kRecordHeaderBytes, len);
    if (Crc(payload) != crc) return stop("crc mismatch");
    if (seq != expect) {
      return stop("sequence " + std::to_string(seq) + " where " + std::to_string(expect) +
                  " was expected");
    }
    if (fn) fn(seq, payload);
    in.Skip(kRecordHeaderBytes + len);
    ++expect;
    ++res.records;
    res.good_end = in.offset();
  }
}

Result<std::int64_t> FindIntactRecord(int fd, std::uint64_t from, std::uint64_t limit,
                                      std::uint64_t min_seq, std::string_view path) {
  ChunkReader in(fd, from, limit, path);
  const std::uint64_t max_step = (limit - std::min(from, limit)) / kRecordHeaderBytes + 1;
  for (;;) {
    auto head = in.Ensure(kRecordHeaderBytes);
    if (!head.ok()) return Error{head.error()};
    if (!*head) return std::int64_t{-1};
    std::uint64_t len = GetLe(in.data(), 4);
    std::uint64_t seq = GetLe(in.data() + 8, 8);
    // Cheap plausibility checks first (a later record's seq can exceed min_seq by at most
    // the number of headers that fit in the range); the crc decides.
    if (len <= Wal::kMaxPayloadBytes && seq >= min_seq && seq - min_seq <= max_step &&
        len <= limit - in.offset() - kRecordHeaderBytes) {
      auto body = in.Ensure(kRecordHeaderBytes + len);
      if (!body.ok()) return Error{body.error()};
      if (*body && Crc(std::string_view(in.data() + kRecordHeaderBytes, len)) ==
                       static_cast<std::uint32_t>(GetLe(in.data() + 4, 4))) {
        return static_cast<std::int64_t>(in.offset());
      }
    }
    in.Skip(1);
  }
}

}  // namespace agx::state_detail
