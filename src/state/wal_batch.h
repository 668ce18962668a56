#pragma once
// The payload of one WAL record: a batch of event lines with its source and annex data
// (ingest/batch_annex.h). Every event is framed by its length, so replay yields exactly the
// events that were acknowledged whatever bytes they hold: raw newlines inside a
// pretty-printed JSON array element, or a nested object on a line of its own, stay inside
// their event. (The record around it carries the length and crc32 of the whole payload,
// wal_format.h.)
//
// Format 2 (written): byte 0xA2, source byte (0 push, 1 otlp), varint annex length, annex,
// then per event a varint length and the event's bytes (LEB128 varints).
// Format 1 (read, for logs written before): "@source NAME\n" (absent for push), an optional
// "@annex DATA\n", then the events separated by '\n'. Format-1 events were validated JSON
// objects when logged, so they are recovered by their JSON structure (brace depth outside
// strings), not by newlines: a pretty-printed event logged by an older version replays whole.
// Pure functions; thread-safe.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace agx::state_detail {

enum class BatchSource : std::uint8_t { kPush = 0, kOtlp = 1 };

struct WalBatch {
  BatchSource source = BatchSource::kPush;
  std::string_view annex;              ///< empty when none
  std::vector<std::string_view> events;  ///< views into the payload
};

/// Appends the format-2 payload of a batch to `out`.
void EncodeWalBatch(BatchSource source, std::string_view annex,
                    const std::vector<std::string_view>& events, std::string* out);

/// The exact size EncodeWalBatch will append (to reserve, and to check the log's size limit).
std::size_t WalBatchSize(std::string_view annex, const std::vector<std::string_view>& events);

/// Decodes a payload of either format into `out` (cleared first; views into `payload`).
/// Fails when the framing is inconsistent (a length past the end, an unknown source or
/// format, an unterminated format-1 event): the record is corrupt.
Status DecodeWalBatch(std::string_view payload, WalBatch* out);

}  // namespace agx::state_detail
