#include "stream/wire_protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/coding.h"
#include "stream/shard_iterator.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

// The error type of `r` ("OK" when it holds a value), printable in assertion failures.
template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return std::string(r.status().TypeName());
}
std::string ErrorOf(const Status& s) { return std::string(s.TypeName()); }

// True when `view` lies inside `buffer` (decoded views must borrow from the input).
bool Within(std::string_view view, std::string_view buffer) {
  return view.empty() || (view.data() >= buffer.data() &&
                          view.data() + view.size() <= buffer.data() + buffer.size());
}

// A deterministic byte generator (splitmix64) for the garbage-input tests.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  std::string Bytes(size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(Next()));
    return out;
  }

 private:
  uint64_t state_;
};

// --- Header --------------------------------------------------------------------------------

TEST(WireHeaderTest, EncodesFixedLayout) {
  WireHeader h;
  h.op = Op::kPutRecords;
  h.code = Status::Code::kExpiredIterator;
  h.request_id = 0x0102030405060708;
  EXPECT_EQ(h.Encode(), std::string("\x02\x02\x04\x01\x02\x03\x04\x05\x06\x07\x08", kHeaderSize));
}

TEST(WireHeaderTest, RoundTrips) {
  for (Op op : {Op::kJson, Op::kPutRecords, Op::kGetRecords}) {
    for (int code = 0; code <= Status::kMaxCode; ++code) {
      for (uint64_t id : {uint64_t{0}, uint64_t{1}, uint64_t{0xdeadbeefcafe}, UINT64_MAX}) {
        WireHeader h;
        h.op = op;
        h.code = static_cast<Status::Code>(code);
        h.request_id = id;
        std::string bytes = h.Encode();
        ASSERT_EQ(bytes.size(), kHeaderSize);
        ASSERT_OK_AND_ASSIGN(WireHeader back, WireHeader::Decode(bytes));
        EXPECT_EQ(back.version, kWireVersion);
        EXPECT_EQ(back.op, op);
        EXPECT_EQ(back.code, h.code);
        EXPECT_EQ(back.request_id, id);
      }
    }
  }
}

TEST(WireHeaderTest, RejectsBadSize) {
  std::string good = WireHeader{}.Encode();
  for (size_t n : {size_t{0}, size_t{1}, kHeaderSize - 1}) {
    SCOPED_TRACE(n);
    EXPECT_EQ(ErrorOf(WireHeader::Decode(good.substr(0, n))), "InvalidArgumentException");
  }
  EXPECT_EQ(ErrorOf(WireHeader::Decode(good + "x")), "InvalidArgumentException");
}

TEST(WireHeaderTest, RejectsBadVersion) {
  for (uint8_t version : {0, 1, 3, 255}) {
    WireHeader h;
    h.version = version;
    SCOPED_TRACE(static_cast<int>(version));
    EXPECT_EQ(ErrorOf(WireHeader::Decode(h.Encode())), "InvalidArgumentException");
  }
}

TEST(WireHeaderTest, RejectsBadOpAndCode) {
  for (uint8_t op : {0, 4, 255}) {
    std::string bytes = WireHeader{}.Encode();
    bytes[1] = static_cast<char>(op);
    SCOPED_TRACE(static_cast<int>(op));
    EXPECT_EQ(ErrorOf(WireHeader::Decode(bytes)), "InvalidArgumentException");
  }
  for (uint8_t code : {Status::kMaxCode + 1, 255}) {
    std::string bytes = WireHeader{}.Encode();
    bytes[2] = static_cast<char>(code);
    SCOPED_TRACE(static_cast<int>(code));
    EXPECT_EQ(ErrorOf(WireHeader::Decode(bytes)), "InvalidArgumentException");
  }
}

// --- PutRecords request --------------------------------------------------------------------

struct OwnedEntry {
  std::string pk;
  std::string data;
  std::optional<std::string> ehk;
};

std::vector<OwnedEntry> SampleEntries() {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  return {
      {"partition-1", "hello", std::nullopt},
      {"k", "", "0"},
      {std::string(256, 'p'), binary, "340282366920938463463374607431768211455"},
      {std::string("a\0b", 3), std::string(300, 'x'), std::nullopt},  // 2-byte varint length
      {"big", std::string(70'000, 'y'), "12345"},                     // 3-byte varint length
  };
}

std::vector<PutEntry> Views(const std::vector<OwnedEntry>& owned) {
  std::vector<PutEntry> out;
  for (const auto& e : owned) {
    out.push_back({e.pk, e.data, e.ehk ? std::optional<std::string_view>(*e.ehk) : std::nullopt});
  }
  return out;
}

TEST(WirePutRecordsTest, RequestRoundTrips) {
  std::vector<OwnedEntry> owned = SampleEntries();
  std::vector<PutEntry> entries = Views(owned);
  std::string body;
  EncodePutRecordsRequest(entries, &body);
  std::vector<PutEntry> decoded;
  ASSERT_OK(DecodePutRecordsRequest(body, &decoded));
  ASSERT_EQ(decoded.size(), owned.size());
  for (size_t i = 0; i < owned.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(decoded[i].partition_key, owned[i].pk);
    EXPECT_EQ(decoded[i].data, owned[i].data);
    ASSERT_EQ(decoded[i].explicit_hash_key.has_value(), owned[i].ehk.has_value());
    if (owned[i].ehk) {
      EXPECT_EQ(*decoded[i].explicit_hash_key, *owned[i].ehk);
    }
    // Decoded entries borrow from the body.
    EXPECT_TRUE(Within(decoded[i].partition_key, body));
    EXPECT_TRUE(Within(decoded[i].data, body));
  }
}

TEST(WirePutRecordsTest, EmptyRequestRoundTrips) {
  std::string body;
  EncodePutRecordsRequest({}, &body);
  EXPECT_EQ(body, std::string(1, '\0'));
  std::vector<PutEntry> decoded = {{"stale", "stale", std::nullopt}};
  ASSERT_OK(DecodePutRecordsRequest(body, &decoded));
  EXPECT_TRUE(decoded.empty());
}

TEST(WirePutRecordsTest, RequestAppendsToExistingBuffer) {
  std::string body = "prefix";
  std::vector<OwnedEntry> owned = {{"k", "v", std::nullopt}};
  EncodePutRecordsRequest(Views(owned), &body);
  ASSERT_TRUE(body.starts_with("prefix"));
  std::vector<PutEntry> decoded;
  ASSERT_OK(DecodePutRecordsRequest(std::string_view(body).substr(6), &decoded));
  ASSERT_EQ(decoded.size(), 1u);
  EXPECT_EQ(decoded[0].data, "v");
}

TEST(WirePutRecordsTest, TruncatedRequestIsAnError) {
  std::vector<OwnedEntry> owned = SampleEntries();
  owned.pop_back();  // keep the loop short
  std::string body;
  EncodePutRecordsRequest(Views(owned), &body);
  for (size_t n = 0; n < body.size(); ++n) {
    std::vector<PutEntry> decoded;
    ASSERT_EQ(ErrorOf(DecodePutRecordsRequest(std::string_view(body).substr(0, n), &decoded)),
              "InvalidArgumentException")
        << "prefix of " << n << " bytes";
  }
}

TEST(WirePutRecordsTest, MalformedRequestIsAnError) {
  std::string body;
  std::vector<OwnedEntry> owned = {{"k", "v", std::nullopt}};
  EncodePutRecordsRequest(Views(owned), &body);
  std::vector<PutEntry> decoded;
  EXPECT_EQ(ErrorOf(DecodePutRecordsRequest(body + "x", &decoded)), "InvalidArgumentException");

  // A count larger than the body could hold, and one that does not fit in memory.
  std::string huge;
  PutVarint64(&huge, UINT64_MAX);
  EXPECT_EQ(ErrorOf(DecodePutRecordsRequest(huge, &decoded)), "InvalidArgumentException");
  std::string two = body;
  two[0] = 2;
  EXPECT_EQ(ErrorOf(DecodePutRecordsRequest(two, &decoded)), "InvalidArgumentException");

  // A length prefix pointing past the end.
  std::string long_key;
  PutVarint64(&long_key, 1);
  PutVarint64(&long_key, 100);
  long_key += "short";
  EXPECT_EQ(ErrorOf(DecodePutRecordsRequest(long_key, &decoded)), "InvalidArgumentException");

  // A varint that never ends.
  EXPECT_EQ(ErrorOf(DecodePutRecordsRequest(std::string(12, '\xff'), &decoded)),
            "InvalidArgumentException");
}

// A frame of a few bytes that claims millions of entries once cost hundreds of megabytes before
// it was refused; the count is now checked before anything is allocated.
TEST(WirePutRecordsTest, HugeEntryCountIsRefusedBeforeAllocating) {
  for (uint64_t n : {uint64_t{8} << 20, uint64_t{501}, uint64_t{UINT32_MAX}}) {
    std::string body;
    PutVarint64(&body, n);
    body += std::string(16, '\0');
    std::vector<PutEntry> entries;
    EXPECT_EQ(ErrorOf(DecodePutRecordsRequest(body, &entries)), "InvalidArgumentException") << n;
    EXPECT_EQ(entries.capacity(), 0u) << n;
    std::vector<PutResult> results;
    EXPECT_EQ(ErrorOf(DecodePutRecordsReply(body, &results)), "InvalidArgumentException") << n;
    EXPECT_EQ(results.capacity(), 0u) << n;
  }
}

TEST(WirePutRecordsTest, CountWithinLimitButBeyondTheBodyIsRefused) {
  // 100 entries need at least 300 bytes; 50 zero bytes cannot hold them.
  std::string body;
  PutVarint64(&body, 100);
  body += std::string(50, '\0');
  std::vector<PutEntry> entries;
  EXPECT_EQ(ErrorOf(DecodePutRecordsRequest(body, &entries)), "InvalidArgumentException");
  EXPECT_EQ(entries.capacity(), 0u);
}

TEST(WirePutRecordsTest, RequestAtTheEntryLimitDecodesAndOneMoreIsRefused) {
  std::vector<OwnedEntry> owned(kMaxPutRecordsEntries, OwnedEntry{"k", "v", std::nullopt});
  std::string body;
  EncodePutRecordsRequest(Views(owned), &body);
  std::vector<PutEntry> entries;
  ASSERT_TRUE(DecodePutRecordsRequest(body, &entries).ok());
  EXPECT_EQ(entries.size(), kMaxPutRecordsEntries);

  owned.push_back(owned.back());
  body.clear();
  EncodePutRecordsRequest(Views(owned), &body);
  Status s = DecodePutRecordsRequest(body, &entries);
  EXPECT_EQ(ErrorOf(s), "InvalidArgumentException");
  EXPECT_NE(s.message().find("the limit is 500"), std::string::npos) << s.ToString();
}

// --- PutRecords reply ----------------------------------------------------------------------

std::vector<PutResult> SampleResults() {
  return {
      {Status::OK(), SequenceNumber{3, uint64_t{1} << 40}},
      {Status::InvalidArgument("PartitionKey must have 1 to 256 characters"), {}},
      {Status::OK(), SequenceNumber{0, 1}},
      {Status::ProvisionedThroughputExceeded(""), {}},
      {Status::OK(), SequenceNumber{1023, UINT64_MAX}},
      {Status::Internal(std::string(200, 'm')), {}},
  };
}

TEST(WirePutRecordsTest, ReplyRoundTrips) {
  std::vector<PutResult> results = SampleResults();
  std::string body;
  EncodePutRecordsReply(results, &body);
  std::vector<PutResult> decoded;
  ASSERT_OK(DecodePutRecordsReply(body, &decoded));
  ASSERT_EQ(decoded.size(), results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(decoded[i].status, results[i].status);
    if (results[i].status.ok()) {
      EXPECT_EQ(decoded[i].sequence_number, results[i].sequence_number);
      EXPECT_EQ(decoded[i].sequence_number.ToString(), results[i].sequence_number.ToString());
    }
  }
}

TEST(WirePutRecordsTest, EmptyReplyRoundTrips) {
  std::string body;
  EncodePutRecordsReply({}, &body);
  std::vector<PutResult> decoded(3);
  ASSERT_OK(DecodePutRecordsReply(body, &decoded));
  EXPECT_TRUE(decoded.empty());
}

TEST(WirePutRecordsTest, TruncatedReplyIsAnError) {
  std::string body;
  EncodePutRecordsReply(SampleResults(), &body);
  for (size_t n = 0; n < body.size(); ++n) {
    std::vector<PutResult> decoded;
    ASSERT_EQ(ErrorOf(DecodePutRecordsReply(std::string_view(body).substr(0, n), &decoded)),
              "InvalidArgumentException")
        << "prefix of " << n << " bytes";
  }
}

TEST(WirePutRecordsTest, ReplyWithUnknownStatusCodeIsAnError) {
  std::string body;
  PutVarint64(&body, 1);
  body.push_back(static_cast<char>(Status::kMaxCode + 1));
  PutLengthPrefixed(&body, "msg");
  std::vector<PutResult> decoded;
  EXPECT_EQ(ErrorOf(DecodePutRecordsReply(body, &decoded)), "InvalidArgumentException");
  std::string huge;
  PutVarint64(&huge, UINT64_MAX);
  EXPECT_EQ(ErrorOf(DecodePutRecordsReply(huge, &decoded)), "InvalidArgumentException");
}

TEST(WirePutRecordsTest, ReplyWithTrailingBytesIsAnError) {
  std::string body;
  EncodePutRecordsReply(SampleResults(), &body);
  std::vector<PutResult> decoded;
  EXPECT_EQ(ErrorOf(DecodePutRecordsReply(body + "x", &decoded)), "InvalidArgumentException");
}

TEST(WirePutRecordsTest, ReplyWithShardIndexOver32BitsIsAnError) {
  std::string body;
  PutVarint64(&body, 1);
  body.push_back(0);                            // OK
  PutVarint64(&body, (uint64_t{1} << 32) + 3);  // shard
  PutVarint64(&body, 7);                        // counter
  std::vector<PutResult> decoded;
  EXPECT_EQ(ErrorOf(DecodePutRecordsReply(body, &decoded)), "InvalidArgumentException");
}

// --- GetRecords ----------------------------------------------------------------------------

TEST(WireGetRecordsTest, RequestRoundTrips) {
  for (int limit : {1, 127, 128, 10000, INT32_MAX}) {
    for (uint64_t skip : {uint64_t{0}, uint64_t{1}, uint64_t{10000}, UINT64_MAX}) {
      std::string body;
      EncodeGetRecordsRequest(limit, skip, &body);
      ASSERT_OK_AND_ASSIGN(GetRecordsRequest back, DecodeGetRecordsRequest(body));
      EXPECT_EQ(back.limit, limit);
      EXPECT_EQ(back.skip, skip);
    }
  }
}

TEST(WireGetRecordsTest, MalformedRequestIsAnError) {
  EXPECT_EQ(ErrorOf(DecodeGetRecordsRequest("")), "InvalidArgumentException");
  std::string body;
  EncodeGetRecordsRequest(100, 5, &body);
  EXPECT_EQ(ErrorOf(DecodeGetRecordsRequest(body + "x")), "InvalidArgumentException");
  EXPECT_EQ(ErrorOf(DecodeGetRecordsRequest("\x80")), "InvalidArgumentException");
  std::string truncated_skip;
  EncodeGetRecordsRequest(100, 0, &truncated_skip);
  EXPECT_EQ(ErrorOf(DecodeGetRecordsRequest(truncated_skip + "\x80")), "InvalidArgumentException");
  std::string too_big;
  PutVarint64(&too_big, uint64_t{INT32_MAX} + 1);
  EXPECT_EQ(ErrorOf(DecodeGetRecordsRequest(too_big)), "InvalidArgumentException");
}

GetRecordsResult Meta(std::string next_iterator, uint64_t next_counter, int64_t behind,
                      uint32_t shard_index) {
  GetRecordsResult meta;
  meta.next_iterator = std::move(next_iterator);
  meta.next_counter = next_counter;
  meta.millis_behind_latest = behind;
  meta.shard_index = shard_index;
  return meta;
}

TEST(WireGetRecordsTest, MetaRoundTrips) {
  ShardIterator it;
  it.stream_id = 7;
  it.shard_index = 3;
  it.next_counter = 1234;
  it.issued_ms = 1'600'000'000'000;
  const IteratorSigner signer(std::string(IteratorSigner::kSecretBytes, 's'));
  for (const GetRecordsResult& meta :
       {Meta(signer.Encode(it), 1234, 86'400'000, 3), Meta("", 0, 0, 0),
        Meta(std::string(300, 'i'), UINT64_MAX, 1, UINT32_MAX)}) {
    std::string body;
    EncodeGetRecordsMeta(meta, &body);
    ASSERT_OK_AND_ASSIGN(GetRecordsResult back, DecodeGetRecordsMeta(body));
    EXPECT_EQ(back.next_iterator, meta.next_iterator);
    EXPECT_EQ(back.millis_behind_latest, meta.millis_behind_latest);
    EXPECT_EQ(back.shard_index, meta.shard_index);
    EXPECT_EQ(back.next_counter, meta.next_counter);
  }
}

TEST(WireGetRecordsTest, MalformedMetaIsAnError) {
  std::string body;
  EncodeGetRecordsMeta(Meta("iterator-token", 9, 500, 2), &body);
  for (size_t n = 0; n < body.size(); ++n) {
    ASSERT_EQ(ErrorOf(DecodeGetRecordsMeta(std::string_view(body).substr(0, n))),
              "InvalidArgumentException")
        << "prefix of " << n << " bytes";
  }
  EXPECT_EQ(ErrorOf(DecodeGetRecordsMeta(body + "x")), "InvalidArgumentException");
}

std::vector<RecordView> SampleRecords(uint32_t shard, const std::string& binary) {
  return {
      {SequenceNumber{shard, 1}, 1'600'000'000'000, "pk", "data"},
      {SequenceNumber{shard, 2}, 1'600'000'000'250, "", ""},
      {SequenceNumber{shard, uint64_t{1} << 50}, 0, std::string_view("k\0", 2), binary},
  };
}

TEST(WireGetRecordsTest, RecordsRoundTrip) {
  std::string binary(100'000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 31);
  std::vector<RecordView> records = SampleRecords(5, binary);
  std::string body;
  for (const auto& r : records) AppendRecord(r, &body);
  std::vector<RecordView> decoded;
  ASSERT_OK(DecodeRecords(body, 5, &decoded));
  ASSERT_EQ(decoded.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(decoded[i].sequence_number, records[i].sequence_number);
    EXPECT_EQ(decoded[i].arrival_ms, records[i].arrival_ms);
    EXPECT_EQ(decoded[i].partition_key, records[i].partition_key);
    EXPECT_EQ(decoded[i].data, records[i].data);
    EXPECT_TRUE(Within(decoded[i].partition_key, body));
    EXPECT_TRUE(Within(decoded[i].data, body));
  }
}

TEST(WireGetRecordsTest, EmptyRecordsFrameHasNoRecords) {
  std::vector<RecordView> decoded;
  ASSERT_OK(DecodeRecords("", 0, &decoded));
  EXPECT_TRUE(decoded.empty());
}

TEST(WireGetRecordsTest, RecordsAreAppendedToOutput) {
  std::string body;
  AppendRecord({SequenceNumber{0, 9}, 5, "k", "v"}, &body);
  std::vector<RecordView> decoded;
  ASSERT_OK(DecodeRecords(body, 0, &decoded));
  ASSERT_OK(DecodeRecords(body, 0, &decoded));
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[1].sequence_number.counter, 9u);
}

TEST(WireGetRecordsTest, TruncatedRecordsAreAnError) {
  std::string binary(200, 'b');
  std::vector<RecordView> records = SampleRecords(1, binary);
  std::string body;
  std::vector<size_t> boundaries = {0};
  for (const auto& r : records) {
    AppendRecord(r, &body);
    boundaries.push_back(body.size());
  }
  for (size_t n = 0; n < body.size(); ++n) {
    std::vector<RecordView> decoded;
    Status s = DecodeRecords(std::string_view(body).substr(0, n), 1, &decoded);
    bool at_boundary = std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
    if (at_boundary) {
      ASSERT_OK(s);  // a prefix of whole records is a shorter, valid frame
    } else {
      ASSERT_EQ(ErrorOf(s), "InvalidArgumentException") << "prefix of " << n << " bytes";
    }
  }
}

// --- Garbage input -------------------------------------------------------------------------

// Runs every decoder on `body`; whatever one accepts must lie within `body` and be in range.
// `checked` counts, per decoder, the entries (or values) the checks looked at.
void DecodeAndCheck(const std::string& body, std::map<std::string, int>* checked) {
  std::vector<PutEntry> entries;
  if (DecodePutRecordsRequest(body, &entries).ok()) {
    for (const auto& e : entries) {
      ++(*checked)["PutRecordsRequest"];
      ASSERT_TRUE(Within(e.partition_key, body));
      ASSERT_TRUE(Within(e.data, body));
      if (e.explicit_hash_key) {
        ASSERT_TRUE(Within(*e.explicit_hash_key, body));
      }
    }
  }
  std::vector<PutResult> results;
  if (DecodePutRecordsReply(body, &results).ok()) {
    for (const auto& r : results) {
      ++(*checked)["PutRecordsReply"];
      ASSERT_LE(static_cast<int>(r.status.code()), Status::kMaxCode);
    }
  }
  std::vector<RecordView> records;
  if (DecodeRecords(body, 0, &records).ok()) {
    for (const auto& r : records) {
      ++(*checked)["Records"];
      ASSERT_TRUE(Within(r.partition_key, body));
      ASSERT_TRUE(Within(r.data, body));
    }
  }
  auto meta = DecodeGetRecordsMeta(body);
  if (meta.ok()) {
    ++(*checked)["GetRecordsMeta"];
    ASSERT_LE(meta->next_iterator.size(), body.size());
  }
  auto get = DecodeGetRecordsRequest(body);
  if (get.ok()) {
    ++(*checked)["GetRecordsRequest"];
    ASSERT_GE(get->limit, 0);
  }
  auto header = WireHeader::Decode(body.substr(0, kHeaderSize));
  if (header.ok()) {
    ++(*checked)["WireHeader"];
    ASSERT_EQ(header->version, kWireVersion);
    ASSERT_LE(static_cast<int>(header->code), Status::kMaxCode);
  }
}

// Random bytes, and valid frames with a few bytes overwritten or cut short. The checks run only
// on what a decoder accepts, so each decoder must have accepted something: random bytes alone
// never make a valid header and rarely a non-empty entry list.
TEST(WireGarbageTest, DecodersNeverReadOutsideTheirInput) {
  Rng rng(42);
  std::map<std::string, int> checked;
  for (int i = 0; i < 3000; ++i) {
    std::string body = rng.Bytes(rng.Next() % 64);
    // Small leading counts make the entry loops run.
    if (!body.empty() && i % 2 == 0) body[0] = static_cast<char>(rng.Next() % 4);
    ASSERT_NO_FATAL_FAILURE(DecodeAndCheck(body, &checked)) << "random input " << i;
  }

  std::vector<std::string> frames(6);
  const std::vector<PutEntry> entries = {
      {"pk", "hello", std::nullopt}, {"k", "", "0"}, {"abc", "xyz", "12345"}};
  EncodePutRecordsRequest(entries, &frames[0]);
  EncodePutRecordsReply(SampleResults(), &frames[1]);
  const std::string binary = "binary";  // the records borrow it
  for (const auto& r : SampleRecords(2, binary)) AppendRecord(r, &frames[2]);
  EncodeGetRecordsMeta(Meta("iterator-token", 9, 500, 2), &frames[3]);
  EncodeGetRecordsRequest(100, 3, &frames[4]);
  WireHeader header;
  header.op = Op::kGetRecords;
  header.request_id = 77;
  frames[5] = header.Encode();
  for (const std::string& frame : frames) {
    for (int i = 0; i < 500; ++i) {
      std::string body = frame;
      for (uint64_t n = 1 + rng.Next() % 3; n > 0; --n) {
        body[rng.Next() % body.size()] = static_cast<char>(rng.Next());
      }
      if (i % 3 == 0) body.resize(rng.Next() % (body.size() + 1));
      ASSERT_NO_FATAL_FAILURE(DecodeAndCheck(body, &checked)) << "corrupted frame, try " << i;
    }
  }
  for (const char* decoder : {"PutRecordsRequest", "PutRecordsReply", "Records", "GetRecordsMeta",
                              "GetRecordsRequest", "WireHeader"}) {
    EXPECT_GT(checked[decoder], 100)
        << decoder << " accepted almost nothing: " << ::testing::PrintToString(checked);
  }
}

}  // namespace
}  // namespace pinstream
