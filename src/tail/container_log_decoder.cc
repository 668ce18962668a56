#include "tail/container_log_decoder.h"

namespace agx::detail {
namespace {

// The payload formats are JSON objects; anything else is the application's own output.
bool StartsWithBrace(std::string_view s) {
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{';
  }
  return false;
}

}  // namespace

ContainerLogDecoder::ContainerLogDecoder(ContainerLogFormat format, std::size_t max_line_bytes,
                                         std::uint64_t offset)
    : format_(format), max_line_bytes_(max_line_bytes), last_end_(offset) {}

void ContainerLogDecoder::Decode(std::uint64_t chunk_start,
                                 std::span<const std::string_view> lines,
                                 std::span<const LineSplitter::LineEnd> ends, Output* out) {
  out_text_.clear();
  pieces_.clear();
  direct_counts_ = {};
  std::size_t next_line = 0;
  for (const LineSplitter::LineEnd& e : ends) {
    const std::uint64_t start = last_end_;
    std::string_view line;
    if (!e.oversized && next_line < lines.size()) line = lines[next_line++];
    Record(start, line, e.oversized);
    last_end_ = chunk_start + e.end;
  }
  out->lines.clear();
  for (const Piece& p : pieces_) {
    out->lines.push_back(p.owned ? std::string_view(out_text_).substr(p.off, p.len) : p.view);
  }
  out->offset = group_open_ ? group_start_ : last_end_;
  out->oversized = direct_counts_.oversized;
  out->not_json = direct_counts_.not_json;
  out->bad_records = direct_counts_.bad;
}

void ContainerLogDecoder::Record(std::uint64_t start, std::string_view line, bool oversized) {
  if (oversized) {  // a record alone longer than any line may be: its stream is unknown
    ++counts().oversized;
    return;
  }
  ContainerRecord rec;
  const bool ok = format_ == ContainerLogFormat::kCri
                      ? ParseCriRecord(line, &rec)
                      : ParseDockerJsonRecord(line, &scratch_, &rec);
  if (!ok) {
    ++counts().bad;
    return;
  }
  const bool borrowed = format_ == ContainerLogFormat::kCri;  // content is inside `line`
  Stream& st = streams_[rec.stderr_stream ? 1 : 0];
  if (!st.open && !rec.partial) {
    // A record may be a little longer than a line (its wrapper): the content is checked.
    Finish(rec.content, rec.content.size() > max_line_bytes_, borrowed);
    return;
  }
  if (!st.open) {
    st.open = true;
    st.too_long = false;
    st.text.clear();
    if (!group_open_) {
      group_open_ = true;
      group_start_ = start;
    }
  }
  // Cut before copying: pieces past the limit are not kept.
  if (!st.too_long) {
    if (st.text.size() + rec.content.size() > max_line_bytes_) {
      st.too_long = true;
      st.text.clear();
      st.text.shrink_to_fit();
    } else {
      st.text.append(rec.content);
    }
  }
  if (rec.partial) return;
  Finish(st.text, st.too_long, false);
  st.open = false;
  st.text.clear();
  if (!streams_[0].open && !streams_[1].open) CloseGroup();
}

void ContainerLogDecoder::Finish(std::string_view content, bool too_long, bool borrowed) {
  Counts& c = counts();
  if (too_long) {
    ++c.oversized;
  } else if (!StartsWithBrace(content)) {
    ++c.not_json;
  } else if (group_open_) {
    if (held_text_.size() + content.size() > max_line_bytes_) {
      ++c.oversized;
    } else {
      held_ranges_.emplace_back(held_text_.size(), content.size());
      held_text_.append(content);
    }
  } else if (borrowed) {
    pieces_.push_back({content, 0, 0, false});
  } else {
    pieces_.push_back({{}, out_text_.size(), content.size(), true});
    out_text_.append(content);
  }
}

void ContainerLogDecoder::CloseGroup() {
  group_open_ = false;
  for (const auto& [off, len] : held_ranges_) {
    pieces_.push_back({{}, out_text_.size(), len, true});
    out_text_.append(held_text_, off, len);
  }
  held_ranges_.clear();
  held_text_.clear();
  direct_counts_.oversized += held_counts_.oversized;
  direct_counts_.not_json += held_counts_.not_json;
  direct_counts_.bad += held_counts_.bad;
  held_counts_ = {};
}

void ContainerLogDecoder::Reset(std::uint64_t offset) {
  for (Stream& st : streams_) st = Stream{};
  group_open_ = false;
  held_text_.clear();
  held_ranges_.clear();
  held_counts_ = {};
  last_end_ = offset;
}

void ContainerLogDecoder::Compact() {
  out_text_.clear();
  out_text_.shrink_to_fit();
  scratch_.clear();
  scratch_.shrink_to_fit();
  pieces_.clear();
  pieces_.shrink_to_fit();
  held_text_.shrink_to_fit();
  for (Stream& st : streams_) st.text.shrink_to_fit();
}

}  // namespace agx::detail
