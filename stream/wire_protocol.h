#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "stream/stream_types.h"

namespace pinstream {

// The broker's ZeroMQ framing. A client's DEALER sends
//   [empty][header][target][body]
// and the broker answers
//   [empty][header][payload...]
// The empty delimiter lets the broker's REP workers route replies. The header carries the
// operation and a request id that the reply echoes, so a client may pipeline requests.
//
// Control actions (Op::kJson) carry Kinesis's own JSON: target = action name, body = request
// object; the reply is one JSON frame. The data plane is binary, to keep JSON and base64 off
// the hot path: PutRecords (target = stream name) and GetRecords (target = shard iterator).
// An error reply is one frame holding the message; the header holds its Status code.
enum class Op : uint8_t { kJson = 1, kPutRecords = 2, kGetRecords = 3 };

// 2: PutRecords replies carry each record's arrival time (it is part of a sequence number), and
// GetRecords's metadata the next counter (iterators are opaque).
inline constexpr uint8_t kWireVersion = 2;
inline constexpr size_t kHeaderSize = 11;

struct WireHeader {
  uint8_t version = kWireVersion;
  Op op = Op::kJson;
  Status::Code code = Status::Code::kOk;  // replies only
  uint64_t request_id = 0;

  std::string Encode() const;
  static Result<WireHeader> Decode(std::string_view bytes);
};

// PutRecords body: per entry, length-prefixed partition key, explicit hash key (empty: none)
// and data. Decoded entries borrow from `body`. The decoders check the entry count before they
// allocate: more than kMaxPutRecordsEntries, or more than the rest of the body could encode, is
// InvalidArgument, so a short frame claiming millions of entries costs nothing.
void EncodePutRecordsRequest(std::span<const PutEntry> entries, std::string* out);
Status DecodePutRecordsRequest(std::string_view body, std::vector<PutEntry>* entries);

// PutRecords reply: per entry, a status code, then shard, counter and arrival ms, or the error
// message.
void EncodePutRecordsReply(std::span<const PutResult> results, std::string* out);
Status DecodePutRecordsReply(std::string_view body, std::vector<PutResult>* results);

// GetRecords body: the limit, then how many records past the iterator to start (omitted when
// 0; see StreamStore::GetRecords). Reply: a metadata frame (next iterator, millis behind, shard,
// next counter) and a records frame (per record: counter, arrival ms, partition key, data).
struct GetRecordsRequest {
  int limit = 0;
  uint64_t skip = 0;
};
void EncodeGetRecordsRequest(int limit, uint64_t skip, std::string* out);
Result<GetRecordsRequest> DecodeGetRecordsRequest(std::string_view body);
void EncodeGetRecordsMeta(const GetRecordsResult& meta, std::string* out);
Result<GetRecordsResult> DecodeGetRecordsMeta(std::string_view body);
void AppendRecord(const RecordView& record, std::string* out);
// Decodes a records frame; the views borrow from `body`.
Status DecodeRecords(std::string_view body, uint32_t shard_index, std::vector<RecordView>* records);

}  // namespace pinstream
