#include "stream/stream_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/base64.h"
#include "common/clock.h"
#include "common/coding.h"
#include "common/decimal_text.h"
#include "common/hash_key.h"
#include "stream/shard_iterator.h"
#include "stream/stream_types.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

constexpr int64_t kStartMs = 1'600'000'000'000;
constexpr int64_t kHourMs = 3'600'000;

const char kMaxKeyText[] = "340282366920938463463374607431768211455";

// The error type of `r` ("OK" when it holds a value), printable in assertion failures.
template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return std::string(r.status().TypeName());
}
std::string ErrorOf(const Status& s) { return std::string(s.TypeName()); }

HashKey Key(std::string_view decimal) {
  auto r = ParseHashKey(decimal);
  EXPECT_TRUE(r.ok()) << decimal;
  return r.ok() ? *r : 0;
}

// A record copied out of the visitor's views.
struct Rec {
  SequenceNumber seq;
  int64_t arrival_ms = 0;
  std::string pk;
  std::string data;
};

class StreamStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  // Tests of one stream's shard count use more shards than an account has by default.
  void Open(int64_t retention_ms = 24 * kHourMs, uint32_t shard_limit = 100'000) {
    store_.reset();
    StreamStore::Options options;
    options.shard_limit = shard_limit;
    options.path = dir_.Sub("db");
    options.clock = &clock_;
    options.retention_ms = retention_ms;
    options.write_buffer_bytes = size_t{16} << 20;
    auto store = StreamStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  // Puts one record; fails the test when the request or the entry fails.
  SequenceNumber Put(std::string_view stream, std::string_view pk, std::string_view data,
                     std::optional<std::string_view> ehk = std::nullopt) {
    PutEntry e{pk, data, ehk};
    std::vector<PutResult> results;
    Status s = store_->PutRecords(stream, std::span(&e, 1), &results);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok() || results.size() != 1) return {};
    EXPECT_TRUE(results[0].status.ok()) << results[0].status.ToString();
    return results[0].sequence_number;
  }

  Result<std::string> Iter(std::string_view stream, uint32_t shard, IteratorType type,
                           std::string seq = "", int64_t ts = 0) {
    IteratorPosition pos;
    pos.type = type;
    pos.sequence_number = std::move(seq);
    pos.timestamp_ms = ts;
    return store_->GetShardIterator(stream, ShardIdFromIndex(shard), pos);
  }

  Result<GetRecordsResult> Read(std::string_view iterator, int limit, std::vector<Rec>* out) {
    return store_->GetRecords(iterator, limit, [out](const RecordView& r) {
      out->push_back(
          Rec{r.sequence_number, r.arrival_ms, std::string(r.partition_key), std::string(r.data)});
    });
  }

  // Every retained record of a shard, from TRIM_HORIZON.
  std::vector<Rec> ReadAll(std::string_view stream, uint32_t shard) {
    std::vector<Rec> out;
    auto it = Iter(stream, shard, IteratorType::kTrimHorizon);
    EXPECT_TRUE(it.ok()) << it.status().ToString();
    if (!it.ok()) return out;
    auto r = Read(*it, kMaxGetRecordsLimit, &out);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return out;
  }

  std::vector<std::string> DataOf(const std::vector<Rec>& recs) {
    std::vector<std::string> out;
    for (const auto& r : recs) out.push_back(r.data);
    return out;
  }

  StreamDescription Describe(std::string_view stream) {
    auto d = store_->DescribeStream(stream);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : StreamDescription{};
  }

  testing::TempDir dir_;
  ManualClock clock_{kStartMs};
  std::unique_ptr<StreamStore> store_;
};

// --- CreateStream / DescribeStream -----------------------------------------------------------

TEST_F(StreamStoreTest, CreateDescribesEmptyStream) {
  ASSERT_OK(store_->CreateStream("orders", 2));
  StreamDescription d = Describe("orders");
  EXPECT_EQ(d.name, "orders");
  EXPECT_EQ(d.created_ms, kStartMs);
  EXPECT_EQ(d.retention_ms, 24 * kHourMs);
  ASSERT_EQ(d.shards.size(), 2u);
  for (uint32_t i = 0; i < 2; ++i) {
    EXPECT_EQ(d.shards[i].index, i);
    EXPECT_EQ(d.shards[i].first_counter, 1u);
    EXPECT_EQ(d.shards[i].last_counter, 0u);
  }
  EXPECT_EQ(store_->ListStreams(), std::vector<std::string>{"orders"});
}

// A stream's creation time is its incarnation (the processor's checkpoints name it): deleted
// and created again within one millisecond (the clock here stands still), it is still newer.
TEST_F(StreamStoreTest, CreatedAgainInTheSameMillisecondIsANewerIncarnation) {
  ASSERT_OK(store_->CreateStream("orders", 1));
  const int64_t first = Describe("orders").created_ms;
  ASSERT_OK(store_->DeleteStream("orders"));
  ASSERT_OK(store_->CreateStream("orders", 1));
  const int64_t second = Describe("orders").created_ms;
  EXPECT_EQ(clock_.NowMillis(), kStartMs);
  EXPECT_GT(second, first);
  ASSERT_OK(store_->CreateStream("other", 1));
  EXPECT_GT(Describe("other").created_ms, second);
}

TEST_F(StreamStoreTest, FourShardsSplitLikeKinesis) {
  ASSERT_OK(store_->CreateStream("s", 4));
  StreamDescription d = Describe("s");
  ASSERT_EQ(d.shards.size(), 4u);
  const char* expected[4][2] = {
      {"0", "85070591730234615865843651857942052863"},
      {"85070591730234615865843651857942052864", "170141183460469231731687303715884105727"},
      {"170141183460469231731687303715884105728", "255211775190703847597530955573826158591"},
      {"255211775190703847597530955573826158592", kMaxKeyText},
  };
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(HashKeyToString(d.shards[i].starting_hash_key), expected[i][0]);
    EXPECT_EQ(HashKeyToString(d.shards[i].ending_hash_key), expected[i][1]);
  }
  EXPECT_TRUE(d.shards[0].ending_hash_key == (HashKey{1} << 126) - 1);
}

TEST_F(StreamStoreTest, ThreeShardsSplitLikeKinesis) {
  ASSERT_OK(store_->CreateStream("s", 3));
  StreamDescription d = Describe("s");
  ASSERT_EQ(d.shards.size(), 3u);
  EXPECT_EQ(HashKeyToString(d.shards[0].ending_hash_key),
            "113427455640312821154458202477256070484");
  EXPECT_EQ(HashKeyToString(d.shards[1].starting_hash_key),
            "113427455640312821154458202477256070485");
  EXPECT_EQ(HashKeyToString(d.shards[1].ending_hash_key),
            "226854911280625642308916404954512140969");
  EXPECT_EQ(HashKeyToString(d.shards[2].starting_hash_key),
            "226854911280625642308916404954512140970");
}

TEST_F(StreamStoreTest, ShardRangesAreContiguousEvenAndCover128Bits) {
  for (uint32_t n : {1u, 2u, 3u, 5u, 7u, 10u, 64u, 1000u}) {
    SCOPED_TRACE(n);
    std::string name = "split-" + std::to_string(n);
    ASSERT_OK(store_->CreateStream(name, n));
    StreamDescription d = Describe(name);
    ASSERT_EQ(d.shards.size(), n);
    EXPECT_TRUE(d.shards.front().starting_hash_key == 0);
    EXPECT_TRUE(d.shards.back().ending_hash_key == kMaxHashKey);
    const HashKey width = d.shards[0].ending_hash_key - d.shards[0].starting_hash_key;
    for (uint32_t i = 0; i < n; ++i) {
      const auto& s = d.shards[i];
      EXPECT_EQ(s.index, i);
      ASSERT_TRUE(s.starting_hash_key <= s.ending_hash_key) << i;
      if (i > 0) {
        ASSERT_TRUE(s.starting_hash_key == d.shards[i - 1].ending_hash_key + 1) << i;
      }
      // Even: every shard but the last has the same width; the last takes less than n more.
      HashKey w = s.ending_hash_key - s.starting_hash_key;
      if (i + 1 < n) {
        EXPECT_TRUE(w == width) << i;
      } else {
        EXPECT_TRUE(w >= width && w - width < n) << i;
      }
    }
  }
}

TEST_F(StreamStoreTest, CreateTwiceIsResourceInUse) {
  ASSERT_OK(store_->CreateStream("dup", 1));
  EXPECT_EQ(ErrorOf(store_->CreateStream("dup", 1)), "ResourceInUseException");
  EXPECT_EQ(ErrorOf(store_->CreateStream("dup", 3)), "ResourceInUseException");
  EXPECT_EQ(Describe("dup").shards.size(), 1u);
}

TEST_F(StreamStoreTest, InvalidStreamNames) {
  for (const std::string& name :
       {std::string(), std::string(129, 'a'), std::string("a b"), std::string("a/b"),
        std::string("a:b"), std::string("\xc3\xa4"), std::string("a\0b", 3)}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ErrorOf(store_->CreateStream(name, 1)), "InvalidArgumentException");
  }
  EXPECT_TRUE(store_->ListStreams().empty());
  EXPECT_OK(store_->CreateStream(std::string(128, 'a'), 1));
  EXPECT_OK(store_->CreateStream("Az09_.-", 1));
}

TEST_F(StreamStoreTest, ShardCountLimits) {
  EXPECT_EQ(ErrorOf(store_->CreateStream("zero", 0)), "InvalidArgumentException");
  EXPECT_EQ(ErrorOf(store_->CreateStream("many", 1025)), "LimitExceededException");
  EXPECT_TRUE(store_->ListStreams().empty());
  ASSERT_OK(store_->CreateStream("max", 1024));
  EXPECT_EQ(Describe("max").shards.size(), 1024u);
}

TEST_F(StreamStoreTest, UnknownStreamIsResourceNotFound) {
  EXPECT_EQ(ErrorOf(store_->DescribeStream("nope")), "ResourceNotFoundException");
  EXPECT_EQ(ErrorOf(store_->DeleteStream("nope")), "ResourceNotFoundException");
  EXPECT_EQ(ErrorOf(Iter("nope", 0, IteratorType::kTrimHorizon)), "ResourceNotFoundException");
  PutEntry e{"pk", "data", std::nullopt};
  std::vector<PutResult> results;
  EXPECT_EQ(ErrorOf(store_->PutRecords("nope", std::span(&e, 1), &results)),
            "ResourceNotFoundException");
}

TEST_F(StreamStoreTest, ListStreamsIsSorted) {
  for (const char* name : {"b", "c", "a"}) ASSERT_OK(store_->CreateStream(name, 1));
  EXPECT_EQ(store_->ListStreams(), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_OK(store_->DeleteStream("b"));
  EXPECT_EQ(store_->ListStreams(), (std::vector<std::string>{"a", "c"}));
}

TEST_F(StreamStoreTest, UnknownOrMalformedShardId) {
  ASSERT_OK(store_->CreateStream("s", 2));
  IteratorPosition pos;
  EXPECT_EQ(ErrorOf(store_->GetShardIterator("s", "shardId-000000000002", pos)),
            "ResourceNotFoundException");
  EXPECT_EQ(ErrorOf(store_->GetShardIterator("s", "shardId-x", pos)), "InvalidArgumentException");
  EXPECT_EQ(ErrorOf(store_->GetShardIterator("s", "", pos)), "InvalidArgumentException");
  EXPECT_OK(store_->GetShardIterator("s", "shardId-000000000001", pos).status());
}

// --- Routing -------------------------------------------------------------------------------

// MD5 digests computed independently with python3 hashlib (int(hexdigest, 16)), and the shard
// holding each for Kinesis's even split into 3 and 4 shards.
struct RouteCase {
  std::string key;
  const char* md5_decimal;
  uint32_t shard_of_3;
  uint32_t shard_of_4;
};

const RouteCase kRouteCases[] = {
    {"a", "16955237001963240173058271559858726497", 0, 0},
    {"partition-1", "198019941650871988756153596255032211816", 1, 2},
    {"7528", "328243139416694713817958587142130085794", 2, 3},
    {"123e4567-e89b-12d3-a456-426614174000", "78687694305339791661151101311799533932", 0, 0},
    {"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87-\xf0\x9f\x98\x80", "17504209304567313227082863110603611897",
     0, 0},
    {"hello world", "125893641179230474042701625388361764291", 1, 1},
    {"user#42", "53358799394368549034077983579306898398", 0, 0},
    {"The quick brown fox jumps over the lazy dog", "210103647840849757586127012022035159510", 1,
     2},
    {std::string(256, 'z'), "87968771701474667150630104435087883876", 0, 1},
};

TEST_F(StreamStoreTest, RoutesByIndependentMd5) {
  ASSERT_OK(store_->CreateStream("three", 3));
  ASSERT_OK(store_->CreateStream("four", 4));
  StreamDescription four = Describe("four");
  for (const auto& c : kRouteCases) {
    SCOPED_TRACE(c.md5_decimal);
    EXPECT_EQ(Put("three", c.key, "x").shard_index, c.shard_of_3);
    EXPECT_EQ(Put("four", c.key, "x").shard_index, c.shard_of_4);
    // The expected shard's range holds the digest.
    HashKey h = Key(c.md5_decimal);
    EXPECT_TRUE(four.shards[c.shard_of_4].starting_hash_key <= h &&
                h <= four.shards[c.shard_of_4].ending_hash_key);
  }
}

TEST_F(StreamStoreTest, ThousandKeysLandInShardHoldingTheirHash) {
  ASSERT_OK(store_->CreateStream("s", 7));
  StreamDescription d = Describe("s");
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("key-" + std::to_string(i));
  std::map<uint32_t, std::vector<std::string>> expected_by_shard;
  for (size_t begin = 0; begin < keys.size(); begin += 500) {
    std::vector<PutEntry> entries;
    for (size_t i = begin; i < begin + 500; ++i) entries.push_back({keys[i], keys[i], {}});
    std::vector<PutResult> results;
    ASSERT_OK(store_->PutRecords("s", entries, &results));
    ASSERT_EQ(results.size(), 500u);
    for (size_t i = 0; i < 500; ++i) {
      const std::string& key = keys[begin + i];
      ASSERT_OK(results[i].status);
      HashKey h = PartitionKeyHash(key);
      uint32_t holder = UINT32_MAX;
      for (const auto& s : d.shards) {
        if (s.starting_hash_key <= h && h <= s.ending_hash_key) holder = s.index;
      }
      ASSERT_EQ(results[i].sequence_number.shard_index, holder) << key;
      expected_by_shard[holder].push_back(key);
    }
  }
  // Seven shards and a thousand keys: every shard gets some, and reads back exactly them.
  ASSERT_EQ(expected_by_shard.size(), 7u);
  for (const auto& [shard, expected] : expected_by_shard) {
    SCOPED_TRACE(shard);
    EXPECT_EQ(DataOf(ReadAll("s", shard)), expected);
  }
}

TEST_F(StreamStoreTest, ExplicitHashKeyRoutesByItsValue) {
  ASSERT_OK(store_->CreateStream("s", 4));
  StreamDescription d = Describe("s");
  // "7528" hashes into shard 3; the explicit key wins.
  EXPECT_EQ(Put("s", "7528", "x", "0").shard_index, 0u);
  EXPECT_EQ(Put("s", "7528", "x", kMaxKeyText).shard_index, 3u);
  std::string start2 = HashKeyToString(d.shards[2].starting_hash_key);
  std::string end1 = HashKeyToString(d.shards[1].ending_hash_key);
  EXPECT_EQ(Put("s", "7528", "x", start2).shard_index, 2u);
  EXPECT_EQ(Put("s", "7528", "x", end1).shard_index, 1u);
  EXPECT_EQ(Put("s", "7528", "x", "85070591730234615865843651857942052863").shard_index, 0u);
  EXPECT_EQ(Put("s", "7528", "x", "85070591730234615865843651857942052864").shard_index, 1u);
}

TEST_F(StreamStoreTest, InvalidExplicitHashKeyFailsOnlyThatEntry) {
  ASSERT_OK(store_->CreateStream("s", 2));
  for (std::string_view bad :
       {std::string_view("abc"), std::string_view("-1"), std::string_view(""),
        std::string_view("340282366920938463463374607431768211456")}) {
    SCOPED_TRACE(bad);
    std::vector<PutEntry> entries = {{"k1", "before", {}}, {"k2", "bad", bad}, {"k3", "after", {}}};
    std::vector<PutResult> results;
    ASSERT_OK(store_->PutRecords("s", entries, &results));
    ASSERT_EQ(results.size(), 3u);
    EXPECT_OK(results[0].status);
    EXPECT_EQ(ErrorOf(results[1].status), "InvalidArgumentException");
    EXPECT_OK(results[2].status);
  }
  size_t total = ReadAll("s", 0).size() + ReadAll("s", 1).size();
  EXPECT_EQ(total, 8u);
  for (uint32_t shard : {0u, 1u}) {
    for (const auto& r : ReadAll("s", shard)) EXPECT_NE(r.data, "bad");
  }
}

// --- Sequence numbers ----------------------------------------------------------------------

TEST_F(StreamStoreTest, SequenceNumberTextKnownValues) {
  // "49", shard (10 digits), counter (20), arrival ms (13), 11 zeros: 56 digits, as AWS's.
  EXPECT_EQ((SequenceNumber{0, 1}.ToString()),
            "49000000000000000000000000000001000000000000000000000000");
  EXPECT_EQ((SequenceNumber{3, 5, kStartMs}.ToString()),
            "49000000000300000000000000000005160000000000000000000000");
  ASSERT_OK_AND_ASSIGN(SequenceNumber s,
                       SequenceNumber::Parse(SequenceNumber{7, 42, kStartMs}.ToString()));
  EXPECT_EQ(s.shard_index, 7u);
  EXPECT_EQ(s.counter, 42u);
  EXPECT_EQ(s.arrival_ms, kStartMs);
  // The 38-digit numbers of earlier versions (2^124 + shard * 2^64 + counter), which
  // checkpoints may hold, still read.
  ASSERT_OK_AND_ASSIGN(s, SequenceNumber::Parse("21267647932558654021801145185614168069"));
  EXPECT_EQ(s, (SequenceNumber{3, 5}));
  for (const char* bad :
       {"", "1", "abc", "21267647932558653966460912964485513215",
        "42535295865117307932921825928971026432", kMaxKeyText,
        "48000000000000000000000000000001000000000000000000000000",    // not "49"
        "49000000000000000000000000000001000000000000000000000001",    // reserved digits
        "49999999999900000000000000000001000000000000000000000000",    // shard past 2^32
        "4900000000000000000000000000000100000000000000000000000"}) {  // 55 digits
    SCOPED_TRACE(bad);
    EXPECT_EQ(ErrorOf(SequenceNumber::Parse(bad)), "InvalidArgumentException");
  }
}

// Other services' sequence numbers (a Kinesis source's checkpoint, `offsets reset --to seq:N`)
// are opaque decimals that grow within a shard: they are taken as Kinesis's API takes them and
// compared as numbers. pinstream's own compare so too, within a shard, legacy ones included.
TEST(SequenceNumberTextTest, AnyServicesNumbersAreDecimalsComparedAsNumbers) {
  for (const char* good : {"0", "7", "49590338271490256608559692538361571095921575989136588898"}) {
    EXPECT_TRUE(IsSequenceNumberText(good)) << good;
  }
  for (const std::string& bad : {std::string(), std::string("012"), std::string("12a"),
                                 std::string("-1"), std::string(130, '1')}) {
    EXPECT_FALSE(IsSequenceNumberText(bad)) << bad;
  }
  EXPECT_TRUE(IsSequenceNumberText(std::string(129, '9')));
  EXPECT_EQ(CompareDecimals("9", "10"), std::strong_ordering::less);
  EXPECT_EQ(CompareDecimals("100", "99"), std::strong_ordering::greater);
  EXPECT_EQ(CompareDecimals("4959", "4959"), std::strong_ordering::equal);
  EXPECT_EQ(CompareDecimals("4958", "4959"), std::strong_ordering::less);
  const std::string legacy = "21267647932558654021801145185614168069";  // shard 3, counter 5
  const std::vector<SequenceNumber> ours = {{3, 6, 1}, {3, 7, 0}, {3, 100, 9}};
  EXPECT_EQ(CompareDecimals(legacy, ours[0].ToString()), std::strong_ordering::less);
  for (size_t i = 1; i < ours.size(); ++i) {
    EXPECT_EQ(CompareDecimals(ours[i - 1].ToString(), ours[i].ToString()),
              std::strong_ordering::less);
  }
}

TEST_F(StreamStoreTest, SequenceNumbersAreIncreasingPerShardAndUniqueInStream) {
  ASSERT_OK(store_->CreateStream("s", 3));
  std::set<std::string> all;
  std::map<uint32_t, std::string> last_text;
  std::map<uint32_t, SequenceNumber> last_seq;
  for (int batch = 0; batch < 6; ++batch) {
    std::vector<std::string> keys;
    for (int i = 0; i < 50; ++i) keys.push_back("pk-" + std::to_string(batch * 50 + i));
    std::vector<PutEntry> entries;
    for (const auto& k : keys) entries.push_back({k, "d", {}});
    std::vector<PutResult> results;
    ASSERT_OK(store_->PutRecords("s", entries, &results));
    for (const auto& r : results) {
      ASSERT_OK(r.status);
      std::string text = r.sequence_number.ToString();
      ASSERT_EQ(text.size(), 56u) << text;
      ASSERT_EQ(text.find_first_not_of("0123456789"), std::string::npos) << text;
      ASSERT_TRUE(all.insert(text).second) << "duplicate " << text;
      ASSERT_OK_AND_ASSIGN(SequenceNumber parsed, SequenceNumber::Parse(text));
      ASSERT_EQ(parsed, r.sequence_number);
      uint32_t shard = r.sequence_number.shard_index;
      if (last_text.contains(shard)) {
        ASSERT_GT(text, last_text[shard]);  // as text
        ASSERT_GT(r.sequence_number, last_seq[shard]);
        ASSERT_EQ(r.sequence_number.counter, last_seq[shard].counter + 1);
      } else {
        ASSERT_EQ(r.sequence_number.counter, 1u);
      }
      last_text[shard] = text;
      last_seq[shard] = r.sequence_number;
    }
    clock_.Advance(10);
  }
  EXPECT_EQ(all.size(), 300u);
  EXPECT_EQ(last_seq.size(), 3u);
}

TEST_F(StreamStoreTest, OrderPerShardIsKeptOnReadBack) {
  ASSERT_OK(store_->CreateStream("s", 2));
  std::map<uint32_t, std::vector<std::string>> expected;
  std::map<uint32_t, std::vector<std::string>> expected_pk;
  for (int batch = 0; batch < 5; ++batch) {
    std::vector<std::string> keys, datas;
    for (int i = 0; i < 40; ++i) {
      keys.push_back("user-" + std::to_string(i % 7));
      datas.push_back("b" + std::to_string(batch) + "-r" + std::to_string(i));
    }
    std::vector<PutEntry> entries;
    for (int i = 0; i < 40; ++i) entries.push_back({keys[i], datas[i], {}});
    std::vector<PutResult> results;
    ASSERT_OK(store_->PutRecords("s", entries, &results));
    for (int i = 0; i < 40; ++i) {
      expected[results[i].sequence_number.shard_index].push_back(datas[i]);
      expected_pk[results[i].sequence_number.shard_index].push_back(keys[i]);
    }
    clock_.Advance(1000);
  }
  for (uint32_t shard : {0u, 1u}) {
    SCOPED_TRACE(shard);
    std::vector<Rec> recs = ReadAll("s", shard);
    EXPECT_EQ(DataOf(recs), expected[shard]);
    ASSERT_EQ(recs.size(), expected_pk[shard].size());
    for (size_t i = 0; i < recs.size(); ++i) {
      EXPECT_EQ(recs[i].pk, expected_pk[shard][i]);
      EXPECT_EQ(recs[i].seq.shard_index, shard);
      EXPECT_EQ(recs[i].seq.counter, i + 1);
      if (i > 0) {
        EXPECT_GE(recs[i].arrival_ms, recs[i - 1].arrival_ms);
      }
      EXPECT_GE(recs[i].arrival_ms, kStartMs);
      EXPECT_LE(recs[i].arrival_ms, kStartMs + 4000);
    }
  }
}

TEST_F(StreamStoreTest, RecordDataIsBinarySafe) {
  ASSERT_OK(store_->CreateStream("s", 1));
  std::string data;
  for (int i = 0; i < 256; ++i) data.push_back(static_cast<char>(i));
  Put("s", std::string("k\0k", 3), data);
  Put("s", "empty", "");
  std::vector<Rec> recs = ReadAll("s", 0);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].data, data);
  EXPECT_EQ(recs[0].pk, std::string("k\0k", 3));
  EXPECT_EQ(recs[1].data, "");
  EXPECT_EQ(recs[1].pk, "empty");
}

// --- Iterator types ------------------------------------------------------------------------

class StreamStoreIteratorTest : public StreamStoreTest {
 protected:
  // Ten records "r0".."r9" in the single shard of "s".
  void SetUp() override {
    StreamStoreTest::SetUp();
    ASSERT_OK(store_->CreateStream("s", 1));
    for (int i = 0; i < 10; ++i) seqs_.push_back(Put("s", "k", "r" + std::to_string(i)));
  }
  std::vector<SequenceNumber> seqs_;
};

TEST_F(StreamStoreIteratorTest, TrimHorizonStartsAtFirstRecord) {
  ASSERT_OK_AND_ASSIGN(std::string it, Iter("s", 0, IteratorType::kTrimHorizon));
  std::vector<Rec> recs;
  ASSERT_OK(Read(it, 3, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"r0", "r1", "r2"}));
  EXPECT_EQ(recs[0].seq, seqs_[0]);
}

TEST_F(StreamStoreIteratorTest, LatestSeesOnlyRecordsPutAfter) {
  ASSERT_OK_AND_ASSIGN(std::string it, Iter("s", 0, IteratorType::kLatest));
  std::vector<Rec> recs;
  ASSERT_OK_AND_ASSIGN(GetRecordsResult r, Read(it, 100, &recs));
  EXPECT_TRUE(recs.empty());
  Put("s", "k", "new-1");
  Put("s", "k", "new-2");
  // Both the original iterator and the one GetRecords returned see exactly the new records.
  for (const std::string& i : {it, r.next_iterator}) {
    recs.clear();
    ASSERT_OK(Read(i, 100, &recs).status());
    EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"new-1", "new-2"}));
  }
}

TEST_F(StreamStoreIteratorTest, AtAndAfterSequenceNumber) {
  std::vector<Rec> recs;
  ASSERT_OK_AND_ASSIGN(std::string at,
                       Iter("s", 0, IteratorType::kAtSequenceNumber, seqs_[4].ToString()));
  ASSERT_OK(Read(at, 2, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"r4", "r5"}));
  EXPECT_EQ(recs[0].seq, seqs_[4]);

  recs.clear();
  ASSERT_OK_AND_ASSIGN(std::string after,
                       Iter("s", 0, IteratorType::kAfterSequenceNumber, seqs_[4].ToString()));
  ASSERT_OK(Read(after, 2, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"r5", "r6"}));

  recs.clear();
  ASSERT_OK_AND_ASSIGN(std::string after_last,
                       Iter("s", 0, IteratorType::kAfterSequenceNumber, seqs_[9].ToString()));
  ASSERT_OK(Read(after_last, 100, &recs).status());
  EXPECT_TRUE(recs.empty());
  Put("s", "k", "r10");
  ASSERT_OK(Read(after_last, 100, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"r10"}));
}

TEST_F(StreamStoreTest, SequenceNumberOfAnotherShardIsInvalidArgument) {
  ASSERT_OK(store_->CreateStream("s", 4));
  SequenceNumber in3 = Put("s", "7528", "x");  // MD5("7528") is in shard 3
  ASSERT_EQ(in3.shard_index, 3u);
  for (IteratorType type : {IteratorType::kAtSequenceNumber, IteratorType::kAfterSequenceNumber}) {
    SCOPED_TRACE(IteratorTypeName(type));
    EXPECT_EQ(ErrorOf(Iter("s", 0, type, in3.ToString())), "InvalidArgumentException");
    EXPECT_EQ(ErrorOf(Iter("s", 0, type, "not-a-number")), "InvalidArgumentException");
    EXPECT_EQ(ErrorOf(Iter("s", 0, type, "")), "InvalidArgumentException");
    EXPECT_OK(Iter("s", 3, type, in3.ToString()).status());
  }
}

TEST_F(StreamStoreTest, AtTimestampStartsAtFirstRecordAtOrAfterTime) {
  ASSERT_OK(store_->CreateStream("s", 1));
  const int64_t t0 = kStartMs;
  Put("s", "k", "t0-a");  // t0
  clock_.Advance(1000);
  std::vector<PutEntry> batch = {{"k", "t1-a", {}}, {"k", "t1-b", {}}};  // t0 + 1000
  std::vector<PutResult> results;
  ASSERT_OK(store_->PutRecords("s", batch, &results));
  clock_.Advance(1000);
  Put("s", "k", "t2-a");  // t0 + 2000
  clock_.Advance(1000);
  Put("s", "k", "t3-a");  // t0 + 3000
  clock_.Advance(1);      // AT_TIMESTAMP may not lie in the future

  struct Case {
    int64_t ts;
    std::optional<std::string> first;
  };
  for (const Case& c : {Case{t0 - 1'000'000, "t0-a"}, Case{t0, "t0-a"}, Case{t0 + 1, "t1-a"},
                        Case{t0 + 1000, "t1-a"}, Case{t0 + 1001, "t2-a"}, Case{t0 + 1999, "t2-a"},
                        Case{t0 + 2000, "t2-a"}, Case{t0 + 2500, "t3-a"}, Case{t0 + 3000, "t3-a"},
                        Case{t0 + 3001, std::nullopt}}) {
    SCOPED_TRACE(c.ts - t0);
    ASSERT_OK_AND_ASSIGN(std::string it, Iter("s", 0, IteratorType::kAtTimestamp, "", c.ts));
    std::vector<Rec> recs;
    ASSERT_OK(Read(it, 1, &recs).status());
    if (c.first) {
      ASSERT_EQ(recs.size(), 1u);
      EXPECT_EQ(recs[0].data, *c.first);
      EXPECT_GE(recs[0].arrival_ms, c.ts);
    } else {
      EXPECT_TRUE(recs.empty());
    }
  }
}

TEST_F(StreamStoreTest, AtTimestampAfterEverythingSeesLaterPuts) {
  ASSERT_OK(store_->CreateStream("s", 1));
  Put("s", "k", "old");
  clock_.Advance(10);
  ASSERT_OK_AND_ASSIGN(std::string it, Iter("s", 0, IteratorType::kAtTimestamp, "", kStartMs + 10));
  std::vector<Rec> recs;
  ASSERT_OK_AND_ASSIGN(GetRecordsResult r, Read(it, 10, &recs));
  EXPECT_TRUE(recs.empty());
  Put("s", "k", "new");
  ASSERT_OK(Read(r.next_iterator, 10, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"new"}));
}

TEST_F(StreamStoreTest, AtTimestampOnEmptyShardSeesLaterPuts) {
  ASSERT_OK(store_->CreateStream("s", 1));
  ASSERT_OK_AND_ASSIGN(std::string it, Iter("s", 0, IteratorType::kAtTimestamp, "", 0));
  Put("s", "k", "first");
  std::vector<Rec> recs;
  ASSERT_OK(Read(it, 10, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"first"}));
}

// --- GetRecords ----------------------------------------------------------------------------

TEST_F(StreamStoreIteratorTest, LimitMustBeBetween1And10000) {
  ASSERT_OK_AND_ASSIGN(std::string it, Iter("s", 0, IteratorType::kTrimHorizon));
  std::vector<Rec> recs;
  for (int bad : {0, -1, 10001, INT32_MAX}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ErrorOf(Read(it, bad, &recs)), "InvalidArgumentException");
  }
  EXPECT_TRUE(recs.empty());
  ASSERT_OK(Read(it, 1, &recs).status());
  EXPECT_EQ(recs.size(), 1u);
  recs.clear();
  ASSERT_OK(Read(it, 10000, &recs).status());
  EXPECT_EQ(recs.size(), 10u);
}

TEST_F(StreamStoreIteratorTest, NextShardIteratorContinuesWhereReadStopped) {
  for (int i = 10; i < 25; ++i) Put("s", "k", "r" + std::to_string(i));
  ASSERT_OK_AND_ASSIGN(std::string it, Iter("s", 0, IteratorType::kTrimHorizon));
  std::vector<Rec> all;
  for (int round = 0; round < 4; ++round) {
    std::vector<Rec> recs;
    ASSERT_OK_AND_ASSIGN(GetRecordsResult r, Read(it, 7, &recs));
    EXPECT_EQ(recs.size(), round < 3 ? 7u : 4u);
    EXPECT_EQ(r.shard_index, 0u);
    all.insert(all.end(), recs.begin(), recs.end());
    it = r.next_iterator;
  }
  ASSERT_EQ(all.size(), 25u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].data, "r" + std::to_string(i));
    EXPECT_EQ(all[i].seq.counter, i + 1);
  }
  // Caught up: nothing more, and the iterator keeps its place for later records.
  std::vector<Rec> recs;
  ASSERT_OK_AND_ASSIGN(GetRecordsResult r, Read(it, 7, &recs));
  EXPECT_TRUE(recs.empty());
  Put("s", "k", "r25");
  ASSERT_OK(Read(r.next_iterator, 7, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"r25"}));
}

TEST_F(StreamStoreIteratorTest, MillisBehindLatest) {
  clock_.Advance(10'000);
  ASSERT_OK_AND_ASSIGN(std::string it, Iter("s", 0, IteratorType::kTrimHorizon));
  std::vector<Rec> recs;
  ASSERT_OK_AND_ASSIGN(GetRecordsResult first, Read(it, 4, &recs));
  EXPECT_GT(first.millis_behind_latest, 0);
  EXPECT_EQ(first.millis_behind_latest, 10'000);  // every record arrived at kStartMs
  ASSERT_OK_AND_ASSIGN(GetRecordsResult rest, Read(first.next_iterator, 100, &recs));
  EXPECT_EQ(recs.size(), 10u);
  EXPECT_EQ(rest.millis_behind_latest, 0);
  ASSERT_OK_AND_ASSIGN(GetRecordsResult empty, Read(rest.next_iterator, 100, &recs));
  EXPECT_EQ(empty.millis_behind_latest, 0);
}

TEST_F(StreamStoreIteratorTest, IteratorExpiresAfterFiveMinutes) {
  ASSERT_OK_AND_ASSIGN(std::string it, Iter("s", 0, IteratorType::kTrimHorizon));
  clock_.Advance(kIteratorLifetimeMs);
  std::vector<Rec> recs;
  ASSERT_OK_AND_ASSIGN(GetRecordsResult r, Read(it, 1, &recs));  // exactly 5 min: still valid
  clock_.Advance(1);
  EXPECT_EQ(ErrorOf(Read(it, 1, &recs)), "ExpiredIteratorException");
  // The iterator GetRecords returned was issued 1 ms ago.
  ASSERT_OK(Read(r.next_iterator, 1, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"r0", "r1"}));

  ASSERT_OK_AND_ASSIGN(std::string fresh, Iter("s", 0, IteratorType::kLatest));
  clock_.Advance(kIteratorLifetimeMs + 1);
  EXPECT_EQ(ErrorOf(Read(fresh, 1, &recs)), "ExpiredIteratorException");
}

TEST_F(StreamStoreIteratorTest, GarbageIteratorIsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(std::string token, Iter("s", 0, IteratorType::kTrimHorizon));
  std::string tampered = token;
  tampered[0] = tampered[0] == 'B' ? 'C' : 'B';  // first byte is the version
  std::vector<Rec> recs;
  for (const std::string& bad :
       {std::string(), std::string("garbage"), std::string("!!!!"), std::string("AAAA"),
        token.substr(0, token.size() - 4), token + "AAAA", tampered}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ErrorOf(Read(bad, 1, &recs)), "InvalidArgumentException");
  }
  EXPECT_TRUE(recs.empty());
}

// A client holds no secret: it cannot make a token, nor move, extend or re-target one it has.
TEST_F(StreamStoreIteratorTest, ForgedOrAlteredIteratorIsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(std::string token, Iter("s", 0, IteratorType::kTrimHorizon));
  // The fields of the token (opaque, so the test knows them as the store made them): the first
  // stream, shard 0, from its first record, now.
  const ShardIterator fields{1, 0, 1, kStartMs};
  ASSERT_OK_AND_ASSIGN(std::string other_secret, IteratorSigner::NewSecret());
  const IteratorSigner forger(other_secret);
  std::vector<std::string> forged;
  ShardIterator never_expires = fields;
  never_expires.issued_ms = kStartMs + 100 * kHourMs;
  forged.push_back(forger.Encode(never_expires));
  forged.push_back(forger.Encode(fields));  // the same fields under another key
  // One bit flipped in every byte of the decoded token, MAC included.
  auto raw = Base64Decode(token);
  ASSERT_TRUE(raw.ok());
  for (size_t i = 0; i < raw->size(); ++i) {
    std::string flipped = *raw;
    flipped[i] = static_cast<char>(flipped[i] ^ 1);
    forged.push_back(Base64Encode(flipped));
  }
  std::vector<Rec> recs;
  for (const std::string& bad : forged) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ErrorOf(Read(bad, 1, &recs)), "InvalidArgumentException");
  }
  EXPECT_TRUE(recs.empty());
  EXPECT_OK(Read(token, 1, &recs).status());
}

// Tokens survive a restart: the secret lives in the store.
TEST_F(StreamStoreIteratorTest, IteratorSurvivesRestart) {
  ASSERT_OK_AND_ASSIGN(std::string token, Iter("s", 0, IteratorType::kTrimHorizon));
  Open();
  std::vector<Rec> recs;
  ASSERT_OK(Read(token, 2, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"r0", "r1"}));
}

TEST(IteratorSignerTest, IssuedInTheFutureOrExpired) {
  const IteratorSigner signer(std::string(IteratorSigner::kSecretBytes, 'k'));
  ShardIterator it;
  it.issued_ms = kStartMs;
  const std::string token = signer.Encode(it);
  EXPECT_OK(signer.Decode(token, kStartMs).status());
  EXPECT_OK(signer.Decode(token, kStartMs - IteratorSigner::kMaxFutureMs).status());
  EXPECT_EQ(ErrorOf(signer.Decode(token, kStartMs - IteratorSigner::kMaxFutureMs - 1)),
            "InvalidArgumentException");
  EXPECT_OK(signer.Decode(token, kStartMs + kIteratorLifetimeMs).status());
  EXPECT_EQ(ErrorOf(signer.Decode(token, kStartMs + kIteratorLifetimeMs + 1)),
            "ExpiredIteratorException");
}

TEST_F(StreamStoreIteratorTest, IteratorOfDeletedStreamIsResourceNotFound) {
  ASSERT_OK_AND_ASSIGN(std::string token, Iter("s", 0, IteratorType::kTrimHorizon));
  ASSERT_OK(store_->DeleteStream("s"));
  ASSERT_OK(store_->CreateStream("s", 1));  // a new stream of the same name is another stream
  std::vector<Rec> recs;
  EXPECT_EQ(ErrorOf(Read(token, 1, &recs)), "ResourceNotFoundException");
}

// Sequence numbers the shard never issued are refused, so no position arithmetic can wrap
// (AFTER_SEQUENCE_NUMBER of counter 2^64-1 once read from the trim horizon).
TEST_F(StreamStoreIteratorTest, SequenceNumberNotIssuedIsInvalidArgument) {
  const SequenceNumber last = seqs_.back();
  for (uint64_t counter : {last.counter + 2, uint64_t{1} << 63, UINT64_MAX}) {
    const std::string seq = SequenceNumber{0, counter}.ToString();
    SCOPED_TRACE(seq);
    EXPECT_EQ(ErrorOf(Iter("s", 0, IteratorType::kAtSequenceNumber, seq)),
              "InvalidArgumentException");
    EXPECT_EQ(ErrorOf(Iter("s", 0, IteratorType::kAfterSequenceNumber, seq)),
              "InvalidArgumentException");
  }
  // AFTER the newest record and AT the next one to come are where a consumer that read
  // everything resumes.
  const std::string next = SequenceNumber{0, last.counter + 1}.ToString();
  EXPECT_EQ(ErrorOf(Iter("s", 0, IteratorType::kAfterSequenceNumber, next)),
            "InvalidArgumentException");
  ASSERT_OK_AND_ASSIGN(std::string at_next, Iter("s", 0, IteratorType::kAtSequenceNumber, next));
  ASSERT_OK_AND_ASSIGN(std::string after_last,
                       Iter("s", 0, IteratorType::kAfterSequenceNumber, last.ToString()));
  Put("s", "k", "r10");
  for (const std::string& it : {at_next, after_last}) {
    std::vector<Rec> recs;
    ASSERT_OK(Read(it, 10, &recs).status());
    EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"r10"}));
  }
}

TEST_F(StreamStoreIteratorTest, TimestampInTheFutureIsInvalidArgument) {
  EXPECT_EQ(ErrorOf(Iter("s", 0, IteratorType::kAtTimestamp, "", kStartMs + 1)),
            "InvalidArgumentException");
  EXPECT_EQ(ErrorOf(Iter("s", 0, IteratorType::kAtTimestamp, "", INT64_MAX)),
            "InvalidArgumentException");
  EXPECT_OK(Iter("s", 0, IteratorType::kAtTimestamp, "", kStartMs).status());
}

// The ZeroMQ client's prefetching reads past an iterator; a skip never wraps.
TEST_F(StreamStoreIteratorTest, SkipStartsPastTheIterator) {
  ASSERT_OK_AND_ASSIGN(std::string it, Iter("s", 0, IteratorType::kTrimHorizon));
  std::vector<Rec> recs;
  auto read = [&](uint64_t skip, int limit) {
    recs.clear();
    return store_->GetRecords(
        it, limit,
        [&](const RecordView& r) {
          Rec rec;
          rec.data = r.data;
          recs.push_back(std::move(rec));
        },
        skip);
  };
  ASSERT_OK(read(3, 2).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"r3", "r4"}));
  for (uint64_t skip : {uint64_t{10}, uint64_t{1000}, UINT64_MAX - 1, UINT64_MAX}) {
    SCOPED_TRACE(skip);
    ASSERT_OK_AND_ASSIGN(GetRecordsResult r, read(skip, 10));
    EXPECT_TRUE(recs.empty());
    // Past the newest record, the next iterator stays where the read started: never before.
    EXPECT_GE(r.next_counter, seqs_.back().counter + 1);
  }
}

// AWS caps a GetRecords call at 10 MiB, whatever its limit.
TEST_F(StreamStoreTest, GetRecordsStopsAtTenMiB) {
  ASSERT_OK(store_->CreateStream("big", 1));
  const std::string mib(kMaxRecordDataBytes, 'd');
  for (int i = 0; i < 12; ++i) Put("big", "k", mib);
  ASSERT_OK_AND_ASSIGN(std::string it, Iter("big", 0, IteratorType::kTrimHorizon));
  std::vector<Rec> recs;
  ASSERT_OK_AND_ASSIGN(GetRecordsResult r, Read(it, kMaxGetRecordsLimit, &recs));
  size_t bytes = 0;
  for (const Rec& rec : recs) bytes += rec.pk.size() + rec.data.size();
  EXPECT_LE(bytes, kMaxGetRecordsBytes);
  EXPECT_EQ(recs.size(), 9u);            // nine records of 1 MiB + a key; a tenth would pass 10 MiB
  EXPECT_EQ(r.millis_behind_latest, 0);  // all arrived at the same instant of the test clock
  recs.clear();
  ASSERT_OK(Read(r.next_iterator, kMaxGetRecordsLimit, &recs).status());
  EXPECT_EQ(recs.size(), 3u);
}

// --- Limits and hostile input ----------------------------------------------------------------

TEST_F(StreamStoreTest, ShardLimitOfTheAccount) {
  Open(24 * kHourMs, kDefaultShardLimit);
  ASSERT_OK(store_->CreateStream("a", 300));
  ASSERT_OK(store_->CreateStream("b", 200));  // 500: at the limit
  Status s = store_->CreateStream("c", 1);
  EXPECT_EQ(ErrorOf(s), "LimitExceededException");
  EXPECT_NE(s.message().find("Current shard count for the account: 500. Limit: 500."),
            std::string::npos)
      << s.message();
  ASSERT_OK(store_->DeleteStream("b"));
  ASSERT_OK(store_->CreateStream("c", 200));  // deleted shards no longer count
}

TEST_F(StreamStoreTest, PartitionKeyMustBeUtf8) {
  ASSERT_OK(store_->CreateStream("s", 1));
  std::vector<PutEntry> entries = {{"\xff\xfe", "binary key", {}},
                                   {"caf\xc3\xa9", "utf-8 key", {}},
                                   {"\xc3", "truncated sequence", {}}};
  std::vector<PutResult> results;
  ASSERT_OK(store_->PutRecords("s", entries, &results));
  EXPECT_EQ(ErrorOf(results[0].status), "InvalidArgumentException");
  EXPECT_OK(results[1].status);
  EXPECT_EQ(ErrorOf(results[2].status), "InvalidArgumentException");
  EXPECT_EQ(DataOf(ReadAll("s", 0)), (std::vector<std::string>{"utf-8 key"}));
}

// --- PutRecords limits ---------------------------------------------------------------------

TEST_F(StreamStoreTest, PerEntryFailuresLeaveOtherEntriesWritten) {
  ASSERT_OK(store_->CreateStream("s", 1));
  const std::string key256(256, 'k'), key257(257, 'k');
  const std::string mib(kMaxRecordDataBytes, 'd'), mib_plus(kMaxRecordDataBytes + 1, 'd');
  std::vector<PutEntry> entries = {
      {"ok-1", "one", {}},  {"", "empty key", {}},  {key257, "long key", {}},
      {key256, "two", {}},  {"big", mib_plus, {}},  {"max", mib, {}},
      {"ehk", "bad", "x1"}, {"ok-2", "three", "5"},
  };
  std::vector<PutResult> results;
  ASSERT_OK(store_->PutRecords("s", entries, &results));
  ASSERT_EQ(results.size(), entries.size());
  const bool ok[] = {true, false, false, true, false, true, false, true};
  for (size_t i = 0; i < entries.size(); ++i) {
    SCOPED_TRACE(i);
    if (ok[i]) {
      EXPECT_OK(results[i].status);
    } else {
      EXPECT_EQ(ErrorOf(results[i].status), "InvalidArgumentException");
    }
  }
  EXPECT_EQ(results[0].sequence_number.counter, 1u);
  EXPECT_EQ(results[3].sequence_number.counter, 2u);
  EXPECT_EQ(results[5].sequence_number.counter, 3u);
  EXPECT_EQ(results[7].sequence_number.counter, 4u);
  std::vector<Rec> recs = ReadAll("s", 0);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].data, "one");
  EXPECT_EQ(recs[1].pk, key256);
  EXPECT_EQ(recs[2].data.size(), kMaxRecordDataBytes);
  EXPECT_EQ(recs[3].data, "three");
  EXPECT_EQ(Describe("s").shards[0].last_counter, 4u);
}

TEST_F(StreamStoreTest, AllEntriesInvalidWritesNothing) {
  ASSERT_OK(store_->CreateStream("s", 1));
  std::vector<PutEntry> entries = {{"", "a", {}}, {"k", "b", "nope"}};
  std::vector<PutResult> results;
  ASSERT_OK(store_->PutRecords("s", entries, &results));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].status.ok());
  EXPECT_FALSE(results[1].status.ok());
  EXPECT_EQ(Describe("s").shards[0].last_counter, 0u);
  EXPECT_EQ(Put("s", "k", "c").counter, 1u);
}

TEST_F(StreamStoreTest, WholeRequestLimits) {
  ASSERT_OK(store_->CreateStream("s", 2));
  std::vector<PutResult> results;
  EXPECT_EQ(ErrorOf(store_->PutRecords("s", {}, &results)), "InvalidArgumentException");

  std::vector<PutEntry> many(501, PutEntry{"k", "d", {}});
  EXPECT_EQ(ErrorOf(store_->PutRecords("s", many, &results)), "InvalidArgumentException");

  // 5 MiB counts partition keys and data: 5 x (1 MiB - 1 + "k") is exactly 5 MiB.
  const std::string almost_mib(kMaxRecordDataBytes - 1, 'd');
  std::vector<PutEntry> six_mib(6, PutEntry{"k", almost_mib, {}});
  EXPECT_EQ(ErrorOf(store_->PutRecords("s", six_mib, &results)), "InvalidArgumentException");
  std::vector<PutEntry> over(5, PutEntry{"kk", almost_mib, {}});
  EXPECT_EQ(ErrorOf(store_->PutRecords("s", over, &results)), "InvalidArgumentException");
  for (const auto& shard : Describe("s").shards) EXPECT_EQ(shard.last_counter, 0u);

  std::vector<PutEntry> exactly(5, PutEntry{"k", almost_mib, {}});
  ASSERT_OK(store_->PutRecords("s", exactly, &results));
  ASSERT_EQ(results.size(), 5u);
  for (const auto& r : results) EXPECT_OK(r.status);

  many.resize(500);
  ASSERT_OK(store_->PutRecords("s", many, &results));
  ASSERT_EQ(results.size(), 500u);
  for (const auto& r : results) EXPECT_OK(r.status);
  uint64_t total = 0;
  for (const auto& shard : Describe("s").shards) total += shard.last_counter;
  EXPECT_EQ(total, 505u);
}

// --- DeleteStream --------------------------------------------------------------------------

TEST_F(StreamStoreTest, DeleteThenRecreateGivesEmptyStream) {
  ASSERT_OK(store_->CreateStream("s", 2));
  for (int i = 0; i < 20; ++i) Put("s", "k" + std::to_string(i), "old");
  ASSERT_OK_AND_ASSIGN(std::string old_it, Iter("s", 0, IteratorType::kTrimHorizon));
  const uint32_t old_id = Describe("s").id;
  ASSERT_OK(store_->DeleteStream("s"));

  EXPECT_EQ(ErrorOf(store_->DescribeStream("s")), "ResourceNotFoundException");
  std::vector<Rec> recs;
  EXPECT_EQ(ErrorOf(Read(old_it, 10, &recs)), "ResourceNotFoundException");
  EXPECT_TRUE(store_->ListStreams().empty());
  EXPECT_EQ(ErrorOf(store_->DeleteStream("s")), "ResourceNotFoundException");

  ASSERT_OK(store_->CreateStream("s", 2));
  StreamDescription d = Describe("s");
  EXPECT_NE(d.id, old_id);
  for (const auto& shard : d.shards) EXPECT_EQ(shard.last_counter, 0u);
  EXPECT_TRUE(ReadAll("s", 0).empty());
  EXPECT_TRUE(ReadAll("s", 1).empty());
  EXPECT_EQ(ErrorOf(Read(old_it, 10, &recs)), "ResourceNotFoundException");
  EXPECT_EQ(Put("s", "k0", "new").counter, 1u);

  // Still so after a restart: the old records do not come back.
  Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(ErrorOf(Read(old_it, 10, &recs)), "ResourceNotFoundException");
  size_t total = ReadAll("s", 0).size() + ReadAll("s", 1).size();
  EXPECT_EQ(total, 1u);
}

// --- Durability ----------------------------------------------------------------------------

TEST_F(StreamStoreTest, RestartKeepsStreamsRecordsAndCounters) {
  ASSERT_OK(store_->CreateStream("a", 2));
  ASSERT_OK(store_->CreateStream("b", 1));
  ASSERT_OK(store_->CreateStream("gone", 1));
  for (int i = 0; i < 30; ++i) {
    Put("a", "k" + std::to_string(i), "a" + std::to_string(i));
    clock_.Advance(7);
  }
  Put("b", "k", std::string("\0bin\xff", 5));
  StreamDescription a_before = Describe("a");
  std::vector<Rec> a0_before = ReadAll("a", 0), a1_before = ReadAll("a", 1);
  ASSERT_OK_AND_ASSIGN(std::string it_before, Iter("a", 0, IteratorType::kAfterSequenceNumber,
                                                   a0_before[2].seq.ToString()));
  ASSERT_OK(store_->DeleteStream("gone"));
  uint32_t max_id = std::max(a_before.id, Describe("b").id) + 1;  // "gone" had the highest id

  Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->ListStreams(), (std::vector<std::string>{"a", "b"}));
  StreamDescription a_after = Describe("a");
  EXPECT_EQ(a_after.id, a_before.id);
  EXPECT_EQ(a_after.created_ms, a_before.created_ms);
  ASSERT_EQ(a_after.shards.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(a_after.shards[i].starting_hash_key == a_before.shards[i].starting_hash_key);
    EXPECT_TRUE(a_after.shards[i].ending_hash_key == a_before.shards[i].ending_hash_key);
    EXPECT_EQ(a_after.shards[i].first_counter, a_before.shards[i].first_counter);
    EXPECT_EQ(a_after.shards[i].last_counter, a_before.shards[i].last_counter);
  }
  for (auto [shard, before] : {std::pair{0u, &a0_before}, std::pair{1u, &a1_before}}) {
    std::vector<Rec> after = ReadAll("a", shard);
    ASSERT_EQ(after.size(), before->size());
    for (size_t i = 0; i < after.size(); ++i) {
      EXPECT_EQ(after[i].seq, (*before)[i].seq);
      EXPECT_EQ(after[i].arrival_ms, (*before)[i].arrival_ms);
      EXPECT_EQ(after[i].pk, (*before)[i].pk);
      EXPECT_EQ(after[i].data, (*before)[i].data);
    }
  }
  std::vector<Rec> b = ReadAll("b", 0);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].data, std::string("\0bin\xff", 5));

  // An iterator issued before the restart still reads from its place.
  std::vector<Rec> recs;
  ASSERT_OK(Read(it_before, 1, &recs).status());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].seq, a0_before[3].seq);

  // New puts continue each shard's sequence.
  for (uint32_t shard : {0u, 1u}) {
    // An explicit hash key at the shard's start routes the record there.
    SequenceNumber s =
        Put("a", "k", "after-restart", HashKeyToString(a_after.shards[shard].starting_hash_key));
    EXPECT_EQ(s.shard_index, shard);
    EXPECT_EQ(s.counter, a_before.shards[shard].last_counter + 1);
  }
  EXPECT_EQ(Put("b", "k", "x").counter, 2u);

  // Stream ids are never reused, not even the deleted stream's.
  ASSERT_OK(store_->CreateStream("c", 1));
  EXPECT_GE(Describe("c").id, max_id + 1);
}

TEST_F(StreamStoreTest, ArrivalTimesNeverGoBackwardsAcrossClockSteps) {
  ASSERT_OK(store_->CreateStream("s", 1));
  Put("s", "k", "a");
  clock_.Advance(-5000);  // the wall clock stepped back
  Put("s", "k", "b");
  std::vector<Rec> recs = ReadAll("s", 0);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_GE(recs[1].arrival_ms, recs[0].arrival_ms);
}

// --- Retention -----------------------------------------------------------------------------

TEST_F(StreamStoreTest, TrimExpiredMovesHorizonPastOldRecords) {
  Open(kHourMs);
  ASSERT_OK(store_->CreateStream("s", 1));
  std::vector<SequenceNumber> old_seqs;
  for (int i = 0; i < 3; ++i) old_seqs.push_back(Put("s", "k", "old" + std::to_string(i)));
  clock_.Advance(2 * kHourMs);
  Put("s", "k", "new0");
  Put("s", "k", "new1");
  ASSERT_OK(store_->TrimExpired());

  EXPECT_EQ(DataOf(ReadAll("s", 0)), (std::vector<std::string>{"new0", "new1"}));
  StreamDescription d = Describe("s");
  EXPECT_EQ(d.shards[0].first_counter, 4u);
  EXPECT_EQ(d.shards[0].last_counter, 5u);
  // A position before the horizon reads from the horizon.
  ASSERT_OK_AND_ASSIGN(std::string at_old,
                       Iter("s", 0, IteratorType::kAtSequenceNumber, old_seqs[0].ToString()));
  std::vector<Rec> recs;
  ASSERT_OK(Read(at_old, 10, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"new0", "new1"}));
  ASSERT_OK_AND_ASSIGN(std::string at_ts, Iter("s", 0, IteratorType::kAtTimestamp, "", 0));
  recs.clear();
  ASSERT_OK(Read(at_ts, 10, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"new0", "new1"}));

  // The horizon persists.
  Open(kHourMs);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(DataOf(ReadAll("s", 0)), (std::vector<std::string>{"new0", "new1"}));
  d = Describe("s");
  EXPECT_EQ(d.shards[0].first_counter, 4u);
  EXPECT_EQ(d.shards[0].last_counter, 5u);
  EXPECT_EQ(Put("s", "k", "new2").counter, 6u);
}

TEST_F(StreamStoreTest, TrimKeepsRecordsExactlyAtRetentionBoundary) {
  Open(kHourMs);
  ASSERT_OK(store_->CreateStream("s", 1));
  Put("s", "k", "r0");
  clock_.Advance(1);
  Put("s", "k", "r1");
  clock_.Advance(kHourMs);  // r0 is 1 h + 1 ms old, r1 exactly 1 h
  ASSERT_OK(store_->TrimExpired());
  EXPECT_EQ(DataOf(ReadAll("s", 0)), (std::vector<std::string>{"r1"}));
  clock_.Advance(1);
  ASSERT_OK(store_->TrimExpired());
  EXPECT_TRUE(ReadAll("s", 0).empty());
}

TEST_F(StreamStoreTest, TrimEverythingLeavesEmptyReadableShard) {
  Open(kHourMs);
  ASSERT_OK(store_->CreateStream("s", 2));
  for (int i = 0; i < 10; ++i) Put("s", "k" + std::to_string(i), "old");
  StreamDescription before = Describe("s");
  clock_.Advance(2 * kHourMs);
  ASSERT_OK(store_->TrimExpired());
  for (uint32_t shard : {0u, 1u}) {
    SCOPED_TRACE(shard);
    EXPECT_TRUE(ReadAll("s", shard).empty());
    StreamDescription d = Describe("s");
    EXPECT_EQ(d.shards[shard].first_counter, before.shards[shard].last_counter + 1);
    EXPECT_EQ(d.shards[shard].last_counter, before.shards[shard].last_counter);
    ASSERT_OK_AND_ASSIGN(std::string ts, Iter("s", shard, IteratorType::kAtTimestamp, "", 0));
    std::vector<Rec> recs;
    ASSERT_OK(Read(ts, 10, &recs).status());
    EXPECT_TRUE(recs.empty());
  }
  ASSERT_OK_AND_ASSIGN(std::string horizon, Iter("s", 0, IteratorType::kTrimHorizon));

  // Still empty, with the same counters, after a restart; the next put is readable.
  Open(kHourMs);
  ASSERT_NE(store_, nullptr);
  EXPECT_TRUE(ReadAll("s", 0).empty());
  SequenceNumber s = Put("s", "k", "fresh", "0");
  EXPECT_EQ(s.shard_index, 0u);
  EXPECT_EQ(s.counter, before.shards[0].last_counter + 1);
  EXPECT_EQ(DataOf(ReadAll("s", 0)), (std::vector<std::string>{"fresh"}));
  std::vector<Rec> recs;
  ASSERT_OK(Read(horizon, 10, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"fresh"}));
}

// Once a shard's records are physically gone (FIFO compaction drops files older than 1.5x
// retention by wall-clock age; simulated here by deleting the records' keys), a restart must
// still continue the shard's counters: reissued sequence numbers would make consumers
// checkpointed at AFTER_SEQUENCE_NUMBER skip the new records.
TEST_F(StreamStoreTest, CountersSurviveRestartAfterExpiredFilesAreDropped) {
  Open(kHourMs);
  ASSERT_OK(store_->CreateStream("s", 1));
  SequenceNumber last;
  for (int i = 0; i < 5; ++i) last = Put("s", "k", "old");
  clock_.Advance(2 * kHourMs);
  ASSERT_OK(store_->TrimExpired());
  const uint32_t id = Describe("s").id;
  store_.reset();
  {
    // What FIFO's TTL does to old files: the records disappear.
    rocksdb::DBOptions db_options;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {"records", rocksdb::ColumnFamilyOptions()}};
    families[1].options.compaction_style = rocksdb::kCompactionStyleFIFO;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(db_options, dir_.Sub("db"), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string begin, end;
    PutFixed32BE(&begin, id);
    PutFixed32BE(&end, id + 1);
    ASSERT_TRUE(db->DeleteRange(rocksdb::WriteOptions(), handles[1], begin, end).ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  Open(kHourMs);
  ASSERT_NE(store_, nullptr);
  SequenceNumber next = Put("s", "k", "new");
  EXPECT_EQ(next.shard_index, 0u);
  EXPECT_GT(next.counter, last.counter) << "sequence number " << next.ToString() << " re-issued";
  ASSERT_OK_AND_ASSIGN(std::string after_last,
                       Iter("s", 0, IteratorType::kAfterSequenceNumber, last.ToString()));
  std::vector<Rec> recs;
  ASSERT_OK(Read(after_last, 10, &recs).status());
  EXPECT_EQ(DataOf(recs), (std::vector<std::string>{"new"}));
}

TEST(StreamStoreOpenTest, RejectsNonPositiveRetention) {
  testing::TempDir dir;
  StreamStore::Options options;
  options.path = dir.Sub("db");
  options.retention_ms = 0;
  EXPECT_EQ(ErrorOf(StreamStore::Open(options)), "InvalidArgumentException");
}

}  // namespace
}  // namespace pinstream
