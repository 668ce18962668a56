#pragma once
// Wal: an append-only write-ahead log for pushed batches. A batch is durable (fsync'ed)
// before Append returns, so the push handler acknowledges only what survives kill -9.
//
// On disk: segment files `wal-<first_seq 20 digits>.log` in the state dir; each record is
// [u32 length][u32 crc32 of payload][u64 seq][payload], little-endian. A torn record at the
// tail of the last segment (crash mid-write) is ignored on replay and cut off on Open.
// Segments rotate past `max_segment_bytes`; an empty segment is named by the next sequence
// number, so numbering continues even when Compact has deleted every record. A `wal.lock`
// file is flock'ed so that two processes never write the same log.
// Thread-safe: Append, Compact and the accessors serialize on one mutex; Replay reads
// segment files it opened under that mutex, so it may run concurrently with Append.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"

namespace agx {

class Wal {
 public:
  static constexpr std::uint64_t kDefaultSegmentBytes = 64ull << 20;
  static constexpr std::uint64_t kMaxPayloadBytes = 64ull << 20;

  /// Opens (creating if needed) the WAL in `dir`, repairing a torn tail of the last segment.
  /// Corruption anywhere else (an older segment, a gap in the sequence, an intact record
  /// after a bad one) is an error naming the file and offset. `max_segment_bytes` is the
  /// rotation threshold (small values are for tests).
  static Result<std::unique_ptr<Wal>> Open(const std::string& dir,
                                           std::uint64_t max_segment_bytes = kDefaultSegmentBytes);
  ~Wal();

  /// Appends one record and fsyncs. \return its sequence number (1, 2, …, never reused).
  /// Fails for payloads over kMaxPayloadBytes, and on I/O errors (disk full, read-only).
  /// A failed write is cut off and the next append simply retries. After a failure that
  /// leaves the tail uncertain (the cut or an fdatasync failed; a sync cannot be retried
  /// safely) appends fail until the log recovers: each append, at most once a second, cuts
  /// the segment back to its last acknowledged record and syncs it, and goes on if that works.
  Result<std::uint64_t> Append(std::string_view payload);

  /// Calls `fn` for every intact record with seq > `after_seq`, in order.
  Status Replay(std::uint64_t after_seq,
                const std::function<void(std::uint64_t seq, std::string_view payload)>& fn);

  /// Deletes segments whose records all have seq <= `upto_seq` (they are in a snapshot)
  /// and starts a new segment. Safe to call concurrently with Append.
  Status Compact(std::uint64_t upto_seq);

  std::uint64_t last_seq() const;
  std::uint64_t bytes() const;  ///< total size of live segments

 private:
  Wal() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx
