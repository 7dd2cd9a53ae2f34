#include "stream/wire_protocol.h"

#include "common/coding.h"

namespace pinstream {

namespace {

Status Malformed(std::string_view what) {
  return Status::InvalidArgument("malformed " + std::string(what));
}

// Checks an entry count read from the wire before anything is allocated for it: a count is
// attacker-controlled, and a frame of a few bytes claiming millions of entries must cost nothing.
// No request or reply holds more entries than the store accepts, nor more than the bytes left
// can encode at `min_entry_bytes` each.
Status CheckEntryCount(uint64_t n, size_t bytes_left, size_t min_entry_bytes,
                       std::string_view what) {
  if (n > kMaxPutRecordsEntries) {
    return Status::InvalidArgument(std::string(what) + " has " + std::to_string(n) +
                                   " entries; the limit is " +
                                   std::to_string(kMaxPutRecordsEntries));
  }
  if (n > bytes_left / min_entry_bytes) return Malformed(what);
  return Status::OK();
}

// The least an entry takes on the wire: a PutRecords request entry is three length prefixes, a
// reply entry a status byte and either two varints or a length-prefixed message.
constexpr size_t kMinRequestEntryBytes = 3;
constexpr size_t kMinReplyEntryBytes = 2;

}  // namespace

std::string WireHeader::Encode() const {
  std::string out;
  out.reserve(kHeaderSize);
  out.push_back(static_cast<char>(version));
  out.push_back(static_cast<char>(op));
  out.push_back(static_cast<char>(code));
  PutFixed64BE(&out, request_id);
  return out;
}

Result<WireHeader> WireHeader::Decode(std::string_view bytes) {
  if (bytes.size() != kHeaderSize) return Malformed("message header");
  WireHeader h;
  h.version = static_cast<uint8_t>(bytes[0]);
  if (h.version != kWireVersion) {
    return Status::InvalidArgument("unsupported wire protocol version " +
                                   std::to_string(h.version));
  }
  auto op = static_cast<uint8_t>(bytes[1]);
  if (op < 1 || op > 3) return Status::InvalidArgument("unknown operation " + std::to_string(op));
  h.op = static_cast<Op>(op);
  auto code = static_cast<uint8_t>(bytes[2]);
  if (code > Status::kMaxCode) return Malformed("status code");
  h.code = static_cast<Status::Code>(code);
  h.request_id = DecodeFixed64BE(bytes.data() + 3);
  return h;
}

void EncodePutRecordsRequest(std::span<const PutEntry> entries, std::string* out) {
  PutVarint64(out, entries.size());
  for (const auto& e : entries) {
    PutLengthPrefixed(out, e.partition_key);
    PutLengthPrefixed(out, e.explicit_hash_key.value_or(std::string_view()));
    PutLengthPrefixed(out, e.data);
  }
}

Status DecodePutRecordsRequest(std::string_view body, std::vector<PutEntry>* entries) {
  Decoder d(body);
  uint64_t n;
  if (!d.GetVarint64(&n)) return Malformed("PutRecords request");
  RETURN_IF_ERROR(CheckEntryCount(n, d.rest().size(), kMinRequestEntryBytes, "PutRecords request"));
  entries->resize(n);
  for (auto& e : *entries) {
    std::string_view ehk;
    if (!d.GetLengthPrefixed(&e.partition_key) || !d.GetLengthPrefixed(&ehk) ||
        !d.GetLengthPrefixed(&e.data)) {
      return Malformed("PutRecords request");
    }
    e.explicit_hash_key = ehk.empty() ? std::nullopt : std::optional(ehk);
  }
  if (!d.empty()) return Malformed("PutRecords request");
  return Status::OK();
}

void EncodePutRecordsReply(std::span<const PutResult> results, std::string* out) {
  PutVarint64(out, results.size());
  for (const auto& r : results) {
    out->push_back(static_cast<char>(r.status.code()));
    if (r.status.ok()) {
      PutVarint64(out, r.sequence_number.shard_index);
      PutVarint64(out, r.sequence_number.counter);
      PutVarint64(out, static_cast<uint64_t>(r.sequence_number.arrival_ms));
    } else {
      PutLengthPrefixed(out, r.status.message());
    }
  }
}

Status DecodePutRecordsReply(std::string_view body, std::vector<PutResult>* results) {
  Decoder d(body);
  uint64_t n;
  if (!d.GetVarint64(&n)) return Malformed("PutRecords reply");
  RETURN_IF_ERROR(CheckEntryCount(n, d.rest().size(), kMinReplyEntryBytes, "PutRecords reply"));
  results->resize(n);
  for (auto& r : *results) {
    uint8_t code_byte;
    if (!d.GetByte(&code_byte) || code_byte > Status::kMaxCode)
      return Malformed("PutRecords reply");
    auto code = static_cast<Status::Code>(code_byte);
    if (code == Status::Code::kOk) {
      uint64_t shard, counter, arrival;
      if (!d.GetVarint64(&shard) || !d.GetVarint64(&counter) || !d.GetVarint64(&arrival) ||
          shard > UINT32_MAX) {
        return Malformed("PutRecords reply");
      }
      r.status = Status::OK();
      r.sequence_number =
          SequenceNumber{static_cast<uint32_t>(shard), counter, static_cast<int64_t>(arrival)};
    } else {
      std::string_view msg;
      if (!d.GetLengthPrefixed(&msg)) return Malformed("PutRecords reply");
      r.status = Status(code, std::string(msg));
    }
  }
  if (!d.empty()) return Malformed("PutRecords reply");
  return Status::OK();
}

void EncodeGetRecordsRequest(int limit, uint64_t skip, std::string* out) {
  PutVarint64(out, static_cast<uint64_t>(limit));
  if (skip != 0) PutVarint64(out, skip);
}

Result<GetRecordsRequest> DecodeGetRecordsRequest(std::string_view body) {
  Decoder d(body);
  uint64_t limit;
  GetRecordsRequest req;
  if (!d.GetVarint64(&limit) || limit > INT32_MAX || (!d.empty() && !d.GetVarint64(&req.skip)) ||
      !d.empty()) {
    return Malformed("GetRecords request");
  }
  req.limit = static_cast<int>(limit);
  return req;
}

void EncodeGetRecordsMeta(const GetRecordsResult& meta, std::string* out) {
  PutLengthPrefixed(out, meta.next_iterator);
  PutVarint64(out, static_cast<uint64_t>(meta.millis_behind_latest));
  PutVarint64(out, meta.shard_index);
  PutVarint64(out, meta.next_counter);
}

Result<GetRecordsResult> DecodeGetRecordsMeta(std::string_view body) {
  Decoder d(body);
  GetRecordsResult meta;
  std::string_view next;
  uint64_t behind, shard;
  if (!d.GetLengthPrefixed(&next) || !d.GetVarint64(&behind) || !d.GetVarint64(&shard) ||
      !d.GetVarint64(&meta.next_counter) || !d.empty() || shard > UINT32_MAX) {
    return Malformed("GetRecords reply");
  }
  meta.next_iterator = next;
  meta.millis_behind_latest = static_cast<int64_t>(behind);
  meta.shard_index = static_cast<uint32_t>(shard);
  return meta;
}

void AppendRecord(const RecordView& record, std::string* out) {
  PutVarint64(out, record.sequence_number.counter);
  PutVarint64(out, static_cast<uint64_t>(record.arrival_ms));
  PutLengthPrefixed(out, record.partition_key);
  PutLengthPrefixed(out, record.data);
}

Status DecodeRecords(std::string_view body, uint32_t shard_index,
                     std::vector<RecordView>* records) {
  Decoder d(body);
  while (!d.empty()) {
    RecordView r;
    uint64_t counter, arrival;
    if (!d.GetVarint64(&counter) || !d.GetVarint64(&arrival) ||
        !d.GetLengthPrefixed(&r.partition_key) || !d.GetLengthPrefixed(&r.data)) {
      return Malformed("GetRecords reply");
    }
    r.arrival_ms = static_cast<int64_t>(arrival);
    r.sequence_number = SequenceNumber{shard_index, counter, r.arrival_ms};
    records->push_back(r);
  }
  return Status::OK();
}

}  // namespace pinstream
