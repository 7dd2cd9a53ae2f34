// The broker's ZeroMQ frames (stream/wire_protocol.h): every decoder on the same bytes, as a
// hostile peer may send any frame in any place. What decodes must borrow only from the frame and
// survive a round trip through the matching encoder.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "stream/wire_protocol.h"

namespace {

using namespace pinstream;

bool Within(std::string_view view, std::string_view buffer) {
  return view.empty() || (view.data() >= buffer.data() &&
                          view.data() + view.size() <= buffer.data() + buffer.size());
}

void PutRecordsRequest(std::string_view body) {
  std::vector<PutEntry> entries;
  if (!DecodePutRecordsRequest(body, &entries).ok()) return;
  FUZZ_CHECK(entries.size() <= kMaxPutRecordsEntries);
  for (const auto& e : entries) {
    FUZZ_CHECK(Within(e.partition_key, body) && Within(e.data, body));
    FUZZ_CHECK(!e.explicit_hash_key || Within(*e.explicit_hash_key, body));
  }
  std::string again;
  EncodePutRecordsRequest(entries, &again);
  std::vector<PutEntry> decoded;
  FUZZ_CHECK(DecodePutRecordsRequest(again, &decoded).ok() && decoded.size() == entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    FUZZ_CHECK(decoded[i].partition_key == entries[i].partition_key);
    FUZZ_CHECK(decoded[i].data == entries[i].data);
    FUZZ_CHECK(decoded[i].explicit_hash_key == entries[i].explicit_hash_key);
  }
}

void PutRecordsReply(std::string_view body) {
  std::vector<PutResult> results;
  if (!DecodePutRecordsReply(body, &results).ok()) return;
  FUZZ_CHECK(results.size() <= kMaxPutRecordsEntries);
  std::string again;
  EncodePutRecordsReply(results, &again);
  std::vector<PutResult> decoded;
  FUZZ_CHECK(DecodePutRecordsReply(again, &decoded).ok() && decoded.size() == results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    FUZZ_CHECK(decoded[i].status.code() == results[i].status.code());
    FUZZ_CHECK(decoded[i].status.message() == results[i].status.message());
    if (results[i].status.ok()) {
      FUZZ_CHECK(decoded[i].sequence_number == results[i].sequence_number);
    }
  }
}

void GetRecords(std::string_view body) {
  if (auto req = DecodeGetRecordsRequest(body); req.ok()) {
    FUZZ_CHECK(req->limit >= 0);
    std::string again;
    EncodeGetRecordsRequest(req->limit, req->skip, &again);
    auto decoded = DecodeGetRecordsRequest(again);
    FUZZ_CHECK(decoded.ok() && decoded->limit == req->limit && decoded->skip == req->skip);
  }
  if (auto meta = DecodeGetRecordsMeta(body); meta.ok()) {
    FUZZ_CHECK(meta->next_iterator.size() <= body.size());
    std::string again;
    EncodeGetRecordsMeta(*meta, &again);
    auto decoded = DecodeGetRecordsMeta(again);
    FUZZ_CHECK(decoded.ok() && decoded->next_iterator == meta->next_iterator &&
               decoded->millis_behind_latest == meta->millis_behind_latest &&
               decoded->shard_index == meta->shard_index);
  }
  std::vector<RecordView> records;
  if (DecodeRecords(body, 7, &records).ok()) {
    std::string again;
    for (const auto& r : records) {
      FUZZ_CHECK(Within(r.partition_key, body) && Within(r.data, body));
      FUZZ_CHECK(r.sequence_number.shard_index == 7);
      AppendRecord(r, &again);
    }
    std::vector<RecordView> decoded;
    FUZZ_CHECK(DecodeRecords(again, 7, &decoded).ok() && decoded.size() == records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      FUZZ_CHECK(decoded[i].sequence_number == records[i].sequence_number);
      FUZZ_CHECK(decoded[i].arrival_ms == records[i].arrival_ms);
      FUZZ_CHECK(decoded[i].partition_key == records[i].partition_key);
      FUZZ_CHECK(decoded[i].data == records[i].data);
    }
  }
}

void Header(std::string_view bytes) {
  auto header = WireHeader::Decode(bytes.substr(0, kHeaderSize));
  if (!header.ok()) return;
  FUZZ_CHECK(header->version == kWireVersion);
  FUZZ_CHECK(header->Encode() == bytes.substr(0, kHeaderSize));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  Header(body);
  PutRecordsRequest(body);
  PutRecordsReply(body);
  GetRecords(body);
  return 0;
}
