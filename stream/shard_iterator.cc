#include "stream/shard_iterator.h"

#include "common/base64.h"
#include "common/coding.h"

namespace pinstream {

namespace {
constexpr char kIteratorVersion = 'A';
}  // namespace

std::string ShardIterator::Encode() const {
  std::string raw;
  raw.push_back(kIteratorVersion);
  PutFixed32BE(&raw, stream_id);
  PutFixed32BE(&raw, shard_index);
  PutFixed64BE(&raw, next_counter);
  PutFixed64BE(&raw, static_cast<uint64_t>(issued_ms));
  return Base64Encode(raw);
}

Result<ShardIterator> ShardIterator::Decode(std::string_view token) {
  const Status bad = Status::InvalidArgument("invalid shard iterator");
  auto raw = Base64Decode(token);
  if (!raw.ok() || raw->size() != 25 || (*raw)[0] != kIteratorVersion) return bad;
  const char* p = raw->data() + 1;
  ShardIterator it;
  it.stream_id = DecodeFixed32BE(p);
  it.shard_index = DecodeFixed32BE(p + 4);
  it.next_counter = DecodeFixed64BE(p + 8);
  it.issued_ms = static_cast<int64_t>(DecodeFixed64BE(p + 16));
  return it;
}

}  // namespace pinstream
