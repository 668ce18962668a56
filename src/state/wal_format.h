#pragma once
// The WAL's on-disk record format and the segment scanner shared by Open and Replay.
// Record: [u32 payload length][u32 zlib crc32 of payload][u64 seq][payload], little-endian.
// Pure functions; thread-safe.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace agx::state_detail {

inline constexpr std::size_t kRecordHeaderBytes = 16;

/// Appends the encoded record to `out`.
void EncodeRecord(std::uint64_t seq, std::string_view payload, std::string* out);
/// Overwrites the seq field of an encoded record that starts at `record`.
void PatchRecordSeq(char* record, std::uint64_t seq);

/// `wal-<first_seq, 20 digits>.log`.
std::string SegmentFileName(std::uint64_t first_seq);
/// Parses a segment file name. \return false when `name` is not one.
bool ParseSegmentFileName(std::string_view name, std::uint64_t* first_seq);

struct ScanResult {
  std::uint64_t records = 0;   ///< intact records read
  std::uint64_t good_end = 0;  ///< offset just past the last intact record
  std::uint64_t problem_offset = 0;
  std::string problem;  ///< why the scan stopped before `limit`; empty when it did not
};

using RecordFn = std::function<void(std::uint64_t seq, std::string_view payload)>;

/// Reads the records of a segment from offset 0 up to `limit` bytes, expecting sequence
/// numbers first_seq, first_seq+1, … It stops at the first record that is incomplete,
/// oversized, fails its crc or is out of sequence, and reports it in `problem`. `fn` (may be
/// empty) sees each intact record; its payload view is valid during the call only.
/// \return an error only for I/O failures.
Result<ScanResult> ScanSegment(int fd, std::uint64_t limit, std::uint64_t first_seq,
                               std::string_view path, const RecordFn& fn);

/// Looks for an intact record (valid length and crc) with a seq >= `min_seq` starting
/// anywhere in [from, limit). Used to tell a torn tail (nothing intact follows) from
/// corruption in the middle of the log. \return its offset, or -1 when there is none.
Result<std::int64_t> FindIntactRecord(int fd, std::uint64_t from, std::uint64_t limit,
                                      std::uint64_t min_seq, std::string_view path);

}  // namespace agx::state_detail
