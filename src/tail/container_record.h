#pragma once
// Container log records: one line of a container runtime's log file, the wrapper around a
// line the container printed (docs/deploy.md "Container logs").
//
// - CRI (kubelet with containerd or CRI-O, /var/log/pods/<ns>_<pod>_<uid>/<container>/N.log):
//   `<RFC 3339 time> <stdout|stderr> <tags> <content>`, tags ':'-separated, the first `P`
//   (partial: the line goes on in the next record of the stream) or `F` (full: it ends here).
// - Docker json-file (/var/lib/docker/containers/<id>/<id>-json.log):
//   `{"log":"<content>\n","stream":"stdout|stderr","time":"…"}` and optional other members
//   (`attrs`); a `log` without its trailing "\n" is a partial (Docker splits at 16 KiB).
//
// Pure functions; thread-safe.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace agx {

/// How the lines of a tailed file are wrapped (`ingest.files` key `container_log`).
enum class ContainerLogFormat : std::uint8_t { kNone, kCri, kDockerJson };

namespace detail {

struct ContainerRecord {
  bool stderr_stream = false;  ///< stderr (else stdout): partials are joined per stream
  bool partial = false;        ///< the line continues in the stream's next record
  std::string_view content;    ///< the printed bytes, without the line's own '\n'
};

/// Parses one CRI record; false when `line` is not one. `content` points into `line`.
bool ParseCriRecord(std::string_view line, ContainerRecord* out);

/// Parses one Docker json-file record; false when `line` is not one. `content` points into
/// `*scratch`, which receives the unescaped `log` string (at most `line.size()` bytes).
bool ParseDockerJsonRecord(std::string_view line, std::string* scratch, ContainerRecord* out);

/// The longest record whose content can still be part of a line of `max_line_bytes`: the
/// CRI prefix, or json-file's escaping (a '"' or '\\' takes two bytes; a line that needs
/// more, control characters as \u00XX, counts as too long).
std::size_t MaxRecordBytes(ContainerLogFormat format, std::size_t max_line_bytes);

}  // namespace detail
}  // namespace agx
