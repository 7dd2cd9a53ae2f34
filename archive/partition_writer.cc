#include "archive/partition_writer.h"

#include <spdlog/spdlog.h>

#include <ctime>

#include "archive/archive_layout.h"

namespace pinstream {

std::string UtcDay(int64_t epoch_ms) {
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000 - (epoch_ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

PartitionWriter::PartitionWriter(std::string topic, uint32_t partition,
                                 const RotationPolicy& policy, ObjectUploader* uploader,
                                 ArchiveLineEncoder* encoder, uint64_t expected_offset)
    : topic_(std::move(topic)),
      partition_(partition),
      policy_(policy),
      uploader_(uploader),
      encoder_(encoder),
      next_offset_(expected_offset) {}

Status PartitionWriter::Add(const RecordView& record) {
  RETURN_IF_ERROR(error_);
  const uint64_t offset = record.sequence_number.counter;
  if (count_ > 0) {
    const bool gap = offset != next_offset_;
    const bool late = policy_.rotate_interval_ms > 0 &&
                      record.arrival_ms - first_arrival_ms_ >= policy_.rotate_interval_ms;
    const bool new_day = policy_.by_day && UtcDay(record.arrival_ms) != day_;
    if (gap || late || new_day) RETURN_IF_ERROR(Write());
  }
  if (next_offset_ != 0 && offset != next_offset_) {
    spdlog::warn("archive gap topic={} partition={} expected_offset={} offset={}", topic_,
                 partition_, next_offset_, offset);
  }
  if (count_ == 0) {
    start_offset_ = offset;
    first_arrival_ms_ = record.arrival_ms;
    if (policy_.by_day) day_ = UtcDay(record.arrival_ms);
  }
  const DataFormat format = encoder_->AppendData(record.data, &data_);
  ArchiveLineEncoder::AppendHeaders(record, format, &headers_);
  ++count_;
  next_offset_ = offset + 1;
  if (count_ >= policy_.flush_size) return Write();
  return Status::OK();
}

Status PartitionWriter::FlushIfIdle(int64_t now_ms) {
  if (count_ == 0 || now_ms - first_arrival_ms_ < policy_.rotate_interval_ms) return error_;
  return Write();
}

Status PartitionWriter::Flush() {
  if (count_ == 0) return error_;
  return Write();
}

Status PartitionWriter::Write() {
  RETURN_IF_ERROR(error_);
  ArchiveObject obj{topic_, partition_, start_offset_, day_, /*headers=*/true};
  FinishedObject finished;
  finished.topic = topic_;
  finished.records = count_;
  finished.headers_key = obj.Key();
  obj.headers = false;
  finished.data_key = obj.Key();
  // The buffers move to the uploader; the next object starts with fresh ones of the same size.
  const size_t data_capacity = data_.capacity(), headers_capacity = headers_.capacity();
  finished.data = std::move(data_);
  finished.headers = std::move(headers_);
  data_ = std::string();
  headers_ = std::string();
  data_.reserve(data_capacity);
  headers_.reserve(headers_capacity);
  count_ = 0;
  error_ = uploader_->Submit(std::move(finished));
  return error_;
}

}  // namespace pinstream
