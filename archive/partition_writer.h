#pragma once

#include <cstdint>
#include <string>

#include "archive/archive_line.h"
#include "archive/object_uploader.h"
#include "stream/stream_types.h"

namespace pinstream {

// When an open object is written and a new one begun.
struct RotationPolicy {
  size_t flush_size = 1000;  // records per object, as the S3 sink connector's flush.size
  // An object holds at most this span of arrival time (rotate.interval.ms); <= 0: no limit.
  int64_t rotate_interval_ms = 60'000;
  bool by_day = false;  // dt=YYYY-MM-DD folders by arrival day (UTC); an object never spans two
};

// Builds one partition's (one shard's) series of objects. Records are added in the shard's
// order; the open object is finished when the policy says (or on Flush) and handed to the
// uploader, which writes first its headers companion, then the data object, the commit point. An
// object holds records of consecutive offsets only (a gap, when records were trimmed before they
// were read, starts a new one), so its start offset plus its line count is the offset that follows
// it; that is what a restart resumes from (archive_resume.h).
//
// A failed write is sticky (the uploader's): the writer refuses everything after it, since the
// records it held are not in the store. Borrows the uploader and the encoder, which must outlive
// it. Not thread-safe.
class PartitionWriter {
 public:
  // `expected_offset` is where the archive resumes (0: unknown), to warn about records that
  // were trimmed before they were archived.
  PartitionWriter(std::string topic, uint32_t partition, const RotationPolicy& policy,
                  ObjectUploader* uploader, ArchiveLineEncoder* encoder, uint64_t expected_offset);

  // Appends one record, writing the open object first when the record may not join it.
  Status Add(const RecordView& record);
  // Finishes the open object when its first record arrived rotate_interval ago or more: for a
  // shard that is caught up, so that data does not wait for more to come.
  Status FlushIfIdle(int64_t now_ms);
  // Finishes the open object, if it holds anything.
  Status Flush();

  // The offset the next record is expected at (0 when unknown).
  uint64_t next_offset() const { return next_offset_; }
  size_t buffered_records() const { return count_; }

 private:
  // Hands the open object to the uploader and starts an empty one.
  Status Write();

  const std::string topic_;
  const uint32_t partition_;
  const RotationPolicy policy_;
  ObjectUploader* uploader_;
  ArchiveLineEncoder* encoder_;
  Status error_;

  // The open object.
  std::string data_;
  std::string headers_;
  size_t count_ = 0;
  uint64_t start_offset_ = 0;
  int64_t first_arrival_ms_ = 0;
  std::string day_;
  uint64_t next_offset_ = 0;
};

// "YYYY-MM-DD" of a time in ms since the epoch, in UTC.
std::string UtcDay(int64_t epoch_ms);

}  // namespace pinstream
