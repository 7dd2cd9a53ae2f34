// Writes the seeds of the binary corpora with the real encoders: wire frames, broker requests
// (split as fuzz_frames.h splits them) and signed shard iterators. Run it after a wire format
// changes: make_corpus fuzz/corpus (from the source tree); ./run fuzz then grows from these.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/coding.h"
#include "stream/shard_iterator.h"
#include "stream/wire_protocol.h"

namespace {

using namespace pinstream;
namespace fs = std::filesystem;

fs::path root;

void Write(const std::string& corpus, const std::string& name, const std::string& bytes) {
  fs::create_directories(root / corpus);
  std::ofstream(root / corpus / name, std::ios::binary) << bytes;
}

std::string Header(Op op, uint64_t id) {
  WireHeader h;
  h.op = op;
  h.request_id = id;
  return h.Encode();
}

// fuzz_frames.h's framing: a 2-byte big-endian length before each frame.
std::string Frames(const std::vector<std::string>& frames) {
  std::string out;
  for (const auto& f : frames) {
    out.push_back(static_cast<char>(f.size() >> 8));
    out.push_back(static_cast<char>(f.size()));
    out += f;
  }
  return out;
}

std::vector<PutEntry> SampleEntries() {
  static const std::string binary("\x00\x01\xff\xfe\x80", 5);
  return {{"pk-1", "hello", std::nullopt},
          {"k", "", "0"},
          {"bin", binary, "340282366920938463463374607431768211455"},
          {std::string_view("\xff\xfe", 2), "not utf-8 key", std::nullopt}};
}

void WireFrames() {
  Write("wire_frames", "header_json", Header(Op::kJson, 1));
  Write("wire_frames", "header_get", Header(Op::kGetRecords, UINT64_MAX));
  std::string put;
  EncodePutRecordsRequest(SampleEntries(), &put);
  Write("wire_frames", "put_request", put);
  std::string reply;
  std::vector<PutResult> results = {{Status::OK(), SequenceNumber{1, 42}},
                                    {Status::InvalidArgument("bad key"), {}},
                                    {Status::ProvisionedThroughputExceeded(""), {}}};
  EncodePutRecordsReply(results, &reply);
  Write("wire_frames", "put_reply", reply);
  std::string get;
  EncodeGetRecordsRequest(100, 0, &get);
  Write("wire_frames", "get_request", get);
  get.clear();
  EncodeGetRecordsRequest(10000, 7, &get);
  Write("wire_frames", "get_request_skip", get);
  std::string meta;
  EncodeGetRecordsMeta({"QmFzZTY0SXRlcmF0b3I=", 1234, 3}, &meta);
  Write("wire_frames", "get_meta", meta);
  std::string records;
  AppendRecord({SequenceNumber{0, 1}, 1767225600000, "pk", "data"}, &records);
  AppendRecord({SequenceNumber{0, 2}, 1767225600001, "", std::string(300, 'x')}, &records);
  Write("wire_frames", "records", records);
  // The issue's frame: a few bytes claiming 8M entries.
  std::string huge;
  PutVarint64(&huge, uint64_t{8} << 20);
  huge += std::string(8, '\0');
  Write("wire_frames", "huge_count", huge);
}

void BrokerRequests() {
  std::string put;
  EncodePutRecordsRequest(SampleEntries(), &put);
  Write("broker_request", "put_records", Frames({Header(Op::kPutRecords, 1), "s", put}));
  Write("broker_request", "put_records_no_stream",
        Frames({Header(Op::kPutRecords, 2), "missing", put}));
  std::string get;
  EncodeGetRecordsRequest(50, 0, &get);
  // An empty target: the harness substitutes a valid iterator.
  Write("broker_request", "get_records", Frames({Header(Op::kGetRecords, 3), "", get}));
  get.clear();
  EncodeGetRecordsRequest(5, 2, &get);
  Write("broker_request", "get_records_skip", Frames({Header(Op::kGetRecords, 4), "", get}));
  Write("broker_request", "get_records_bad_iterator",
        Frames({Header(Op::kGetRecords, 5), "QUFBQQ==", get}));
  Write("broker_request", "json_list_shards",
        Frames({Header(Op::kJson, 6), "ListShards", R"({"StreamName":"s"})"}));
  Write("broker_request", "json_describe",
        Frames({Header(Op::kJson, 7), "DescribeStreamSummary", R"({"StreamName":"s"})"}));
  Write("broker_request", "json_iterator",
        Frames({Header(Op::kJson, 8), "GetShardIterator",
                R"({"StreamName":"s","ShardId":"shardId-000000000000",)"
                R"("ShardIteratorType":"TRIM_HORIZON"})"}));
  Write("broker_request", "json_create",
        Frames({Header(Op::kJson, 9), "CreateStream", R"({"StreamName":"t","ShardCount":2})"}));
  Write("broker_request", "json_put_record",
        Frames({Header(Op::kJson, 10), "PutRecord",
                R"({"StreamName":"s","PartitionKey":"k","Data":"aGVsbG8="})"}));
  Write("broker_request", "two_frames", Frames({Header(Op::kJson, 11), "ListStreams"}));
  Write("broker_request", "bad_header", Frames({"\x02\x01", "ListStreams", "{}"}));
}

void ShardIterators() {
  const IteratorSigner signer(std::string(IteratorSigner::kSecretBytes, '\x5a'));
  const int64_t now = 1'767'225'600'000;
  Write("shard_iterator", "valid", signer.Encode({1, 0, 1, now - 1000}));
  Write("shard_iterator", "valid_shard_1", signer.Encode({1, 1, 12345, now}));
  Write("shard_iterator", "expired", signer.Encode({1, 0, 1, now - 600'000}));
  Write("shard_iterator", "future", signer.Encode({1, 0, 1, now + 60'000}));
  Write("shard_iterator", "other_secret",
        IteratorSigner(std::string(32, 'x')).Encode({1, 0, 1, now}));
  Write("shard_iterator", "fields", std::string(26, '\x01'));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_ROOT (fuzz/corpus)\n", argv[0]);
    return 2;
  }
  root = argv[1];
  WireFrames();
  BrokerRequests();
  ShardIterators();
  return 0;
}
