// Process-level tests: a real `pinstream broker` process, reached over TCP through StreamClient,
// Producer and the CLI. Nothing is mocked; the crash test kill -9s the broker mid-write.
#include "tests/stream/broker_process.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/base64.h"
#include "common/hash_key.h"
#include "stream/producer.h"
#include "stream/stream_client.h"
#include "stream/stream_types.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;
using testing::BrokerProcess;
using testing::CliRun;
using testing::RunPinstream;
using testing::TempDir;

// A record as read back, owning its bytes.
struct StoredRecord {
  SequenceNumber seq;
  std::string partition_key;
  std::string data;
};

// Every record of one shard from TRIM_HORIZON, in order. Nobody writes while tests read, so an
// empty batch means the reader has caught up.
Result<std::vector<StoredRecord>> ReadShard(StreamClient* client, const std::string& stream,
                                            const std::string& shard_id) {
  ASSIGN_OR_RETURN(std::string iterator, client->GetShardIterator(stream, shard_id, {}));
  std::vector<StoredRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(GetRecordsReply reply, client->GetRecords(iterator, kMaxGetRecordsLimit));
    for (const RecordView& r : reply.records) {
      out.push_back({r.sequence_number, std::string(r.partition_key), std::string(r.data)});
    }
    iterator = reply.meta.next_iterator;
    if (reply.records.empty()) break;
  }
  return out;
}

// Every shard's records, keyed by shard id.
Result<std::map<std::string, std::vector<StoredRecord>>> ReadStream(StreamClient* client,
                                                                    const std::string& stream) {
  ASSIGN_OR_RETURN(std::vector<std::string> shard_ids, client->ListShardIds(stream));
  std::map<std::string, std::vector<StoredRecord>> out;
  for (const auto& id : shard_ids) {
    ASSIGN_OR_RETURN(out[id], ReadShard(client, stream, id));
  }
  return out;
}

size_t CountRecords(const std::map<std::string, std::vector<StoredRecord>>& shards) {
  size_t n = 0;
  for (const auto& [_, records] : shards) n += records.size();
  return n;
}

// Sequence numbers of a shard must name that shard and strictly increase.
void ExpectWellOrdered(const std::map<std::string, std::vector<StoredRecord>>& shards) {
  for (const auto& [shard_id, records] : shards) {
    ASSERT_OK_AND_ASSIGN(uint32_t index, ShardIndexFromId(shard_id));
    for (size_t i = 0; i < records.size(); ++i) {
      ASSERT_EQ(records[i].seq.shard_index, index) << shard_id << " record " << i;
      if (i > 0) {
        ASSERT_LT(records[i - 1].seq, records[i].seq) << shard_id << " record " << i;
        // The rendered form must order as the numbers do.
        ASSERT_LT(records[i - 1].seq.ToString(), records[i].seq.ToString());
      }
    }
  }
}

class BrokerProcessTest : public ::testing::Test {
 protected:
  // Starts a broker on this test's data directory (a restart when one ran there before) and
  // connects client_ to it.
  void StartBroker() {
    client_.reset();
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(data_dir()));
    ASSERT_GT(broker_->pid(), 0);
    ASSERT_TRUE(broker_->endpoint().starts_with("tcp://127.0.0.1:")) << broker_->endpoint();
    ASSERT_OK_AND_ASSIGN(client_, StreamClient::Connect(&ctx_, broker_->endpoint()));
  }

  std::string data_dir() const { return dir_.Sub("data"); }

  // Declared in destruction order: the client before its context, the broker before its files.
  TempDir dir_;
  zmq::context_t ctx_{1};
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<StreamClient> client_;
};

TEST_F(BrokerProcessTest, StreamLifecycleWithTypedErrors) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK(client_->CreateStream("orders", 3));
  ASSERT_OK(client_->CreateStream("clicks", 1));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, client_->ListStreams());
  EXPECT_EQ(names, (std::vector<std::string>{"clicks", "orders"}));

  ASSERT_OK_AND_ASSIGN(json described, client_->Call("DescribeStream", {{"StreamName", "orders"}}));
  const json& desc = described.at("StreamDescription");
  EXPECT_EQ(desc.at("StreamName"), "orders");
  EXPECT_EQ(desc.at("StreamStatus"), "ACTIVE");
  const json& shards = desc.at("Shards");
  ASSERT_EQ(shards.size(), 3u);
  // The shards split the hash key space evenly and without gaps.
  HashKey expected_start = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    EXPECT_EQ(shards[i].at("ShardId"), ShardIdFromIndex(static_cast<uint32_t>(i)));
    const json& range = shards[i].at("HashKeyRange");
    ASSERT_OK_AND_ASSIGN(HashKey start,
                         ParseHashKey(range.at("StartingHashKey").get<std::string>()));
    ASSERT_OK_AND_ASSIGN(HashKey end, ParseHashKey(range.at("EndingHashKey").get<std::string>()));
    EXPECT_TRUE(start == expected_start) << "shard " << i;
    EXPECT_TRUE(start < end) << "shard " << i;
    expected_start = end + 1;
  }
  EXPECT_EQ(shards[2].at("HashKeyRange").at("EndingHashKey"), HashKeyToString(kMaxHashKey));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> shard_ids, client_->ListShardIds("orders"));
  EXPECT_EQ(shard_ids, (std::vector<std::string>{"shardId-000000000000", "shardId-000000000001",
                                                 "shardId-000000000002"}));

  // Errors arrive as the Kinesis codes, not as a generic failure.
  Status dup = client_->CreateStream("orders", 2);
  EXPECT_EQ(dup.code(), Status::Code::kResourceInUse) << dup.ToString();
  auto missing = client_->Call("DescribeStream", {{"StreamName", "nope"}});
  EXPECT_EQ(missing.status().code(), Status::Code::kResourceNotFound)
      << missing.status().ToString();
  EXPECT_EQ(client_->ListShardIds("nope").status().code(), Status::Code::kResourceNotFound);
  auto no_shard = client_->GetShardIterator("orders", "shardId-000000000007", {});
  EXPECT_EQ(no_shard.status().code(), Status::Code::kResourceNotFound)
      << no_shard.status().ToString();
  // Constraints are AWS's ValidationException, checked before anything else.
  EXPECT_EQ(client_->CreateStream("bad name!", 1).code(), Status::Code::kValidation);
  EXPECT_EQ(client_->CreateStream("zero", 0).code(), Status::Code::kValidation);
  auto bad_iterator = client_->GetRecords("not-an-iterator", 10);
  EXPECT_EQ(bad_iterator.status().code(), Status::Code::kInvalidArgument)
      << bad_iterator.status().ToString();

  // A record in the deleted stream must not show up in a re-created one of the same name.
  std::vector<PutResult> results;
  const PutEntry entry{"key", "before delete", std::nullopt};
  ASSERT_OK(client_->PutRecords("orders", std::span(&entry, 1), &results));
  ASSERT_OK(results[0].status);
  ASSERT_OK(client_->DeleteStream("orders"));
  EXPECT_EQ(client_->DeleteStream("orders").code(), Status::Code::kResourceNotFound);
  EXPECT_EQ(client_->PutRecords("orders", std::span(&entry, 1), &results).code(),
            Status::Code::kResourceNotFound);
  ASSERT_OK_AND_ASSIGN(names, client_->ListStreams());
  EXPECT_EQ(names, (std::vector<std::string>{"clicks"}));

  ASSERT_OK(client_->CreateStream("orders", 2));
  ASSERT_OK_AND_ASSIGN(auto recreated, ReadStream(client_.get(), "orders"));
  EXPECT_EQ(recreated.size(), 2u);
  EXPECT_EQ(CountRecords(recreated), 0u);

  client_.reset();
  ASSERT_OK(broker_->Terminate());
  EXPECT_FALSE(broker_->running());
}

TEST_F(BrokerProcessTest, PutRecordsReportsPerEntryFailures) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK(client_->CreateStream("partial", 2));

  const std::string too_long(300, 'k');
  const std::string longest(kMaxPartitionKeyLength, 'x');
  const std::string too_big(kMaxRecordDataBytes + 1, 'z');
  const std::vector<PutEntry> entries = {
      {"a", "d0", std::nullopt},    {"b", "d1", std::nullopt}, {too_long, "d2", std::nullopt},
      {"c", "d3", std::nullopt},    {"", "d4", std::nullopt},  {longest, "d5", std::nullopt},
      {"e", too_big, std::nullopt}, {"f", "d7", std::nullopt},
  };
  const std::set<size_t> invalid = {2, 4, 6};
  std::vector<PutResult> results;
  ASSERT_OK(client_->PutRecords("partial", entries, &results));
  ASSERT_EQ(results.size(), entries.size());
  std::map<SequenceNumber, size_t> written;  // sequence number -> entry
  for (size_t i = 0; i < entries.size(); ++i) {
    if (invalid.contains(i)) {
      EXPECT_EQ(results[i].status.code(), Status::Code::kInvalidArgument)
          << "entry " << i << ": " << results[i].status.ToString();
    } else {
      ASSERT_OK(results[i].status);
      EXPECT_TRUE(written.emplace(results[i].sequence_number, i).second) << "entry " << i;
    }
  }
  EXPECT_NE(results[2].status.message().find("PartitionKey"), std::string::npos)
      << results[2].status.ToString();

  // Only the valid entries were stored, each at the sequence number it was given.
  ASSERT_OK_AND_ASSIGN(auto shards, ReadStream(client_.get(), "partial"));
  ExpectWellOrdered(shards);
  EXPECT_EQ(CountRecords(shards), written.size());
  for (const auto& [_, records] : shards) {
    for (const auto& r : records) {
      auto it = written.find(r.seq);
      ASSERT_NE(it, written.end()) << r.seq.ToString();
      EXPECT_EQ(r.partition_key, entries[it->second].partition_key);
      EXPECT_EQ(r.data, entries[it->second].data);
    }
  }

  // The JSON path checks AWS's constraints first: a key past 256 characters fails the whole call
  // (ValidationException), as on AWS; a record past 1 MiB (the model allows 10) fails alone.
  auto refused = client_->Call("PutRecords", {{"StreamName", "partial"},
                                              {"Records",
                                               {{{"PartitionKey", "a"}, {"Data", "b25l"}},
                                                {{"PartitionKey", too_long}, {"Data", "dHdv"}}}}});
  EXPECT_EQ(refused.status().code(), Status::Code::kValidation) << refused.status().ToString();
  const std::string big = Base64Encode(std::string(kMaxRecordDataBytes + 1, 'x'));
  ASSERT_OK_AND_ASSIGN(
      json res, client_->Call("PutRecords", {{"StreamName", "partial"},
                                             {"Records",
                                              {{{"PartitionKey", "a"}, {"Data", "b25l"}},
                                               {{"PartitionKey", "b"}, {"Data", big}},
                                               {{"PartitionKey", "c"}, {"Data", "dGhyZWU="}}}}}));
  EXPECT_EQ(res.at("FailedRecordCount"), 1);
  ASSERT_EQ(res.at("Records").size(), 3u);
  EXPECT_TRUE(res["Records"][0].contains("SequenceNumber")) << res.dump();
  EXPECT_EQ(res["Records"][1].value("ErrorCode", ""), "InvalidArgumentException") << res.dump();
  EXPECT_TRUE(res["Records"][2].contains("SequenceNumber")) << res.dump();

  client_.reset();
  ASSERT_OK(broker_->Terminate());
}

TEST_F(BrokerProcessTest, ConcurrentProducersLoseNothingAndKeepKeyOrder) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK(client_->CreateStream("concurrent", 4));

  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  constexpr int kKeysPerThread = 50;
  std::vector<Status> outcome(kThreads);
  std::vector<Producer::Stats> stats(kThreads);
  // acked[t][i]: the sequence number record (t, i) was acknowledged with.
  std::vector<std::vector<SequenceNumber>> acked(kThreads, std::vector<SequenceNumber>(kPerThread));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      zmq::context_t ctx(1);
      auto client = StreamClient::Connect(&ctx, broker_->endpoint());
      if (!client.ok()) {
        outcome[t] = client.status();
        return;
      }
      Producer::Options options;
      options.max_batch_records = 250;  // many requests, interleaved across threads
      options.max_in_flight = 4;        // the default: pipelined requests per producer
      Producer producer(client->get(), "concurrent", options,
                        [&, t](std::string_view, std::string_view data, const Status& status,
                               const SequenceNumber& seq) {
                          if (!status.ok()) return;  // counted in stats().failed
                          int i = std::stoi(std::string(data.substr(data.find(':') + 1)));
                          acked[t][i] = seq;
                        });
      for (int i = 0; i < kPerThread; ++i) {
        Status s = producer.Put("p" + std::to_string(t) + "-" + std::to_string(i % kKeysPerThread),
                                std::to_string(t) + ":" + std::to_string(i));
        if (!s.ok()) {
          outcome[t] = s;
          return;
        }
      }
      outcome[t] = producer.Flush();
      stats[t] = producer.stats();
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_OK(outcome[t]);
    EXPECT_EQ(stats[t].acked, uint64_t{kPerThread}) << "thread " << t;
    EXPECT_EQ(stats[t].failed, 0u) << "thread " << t;
    // Per-key order is promised only while nothing is retried.
    ASSERT_EQ(stats[t].retried, 0u) << "thread " << t;
  }

  ASSERT_OK_AND_ASSIGN(auto shards, ReadStream(client_.get(), "concurrent"));
  ExpectWellOrdered(shards);
  EXPECT_EQ(CountRecords(shards), size_t{kThreads * kPerThread});
  std::vector<std::vector<int>> seen(kThreads, std::vector<int>(kPerThread, 0));
  std::map<std::string, int> last_index;            // partition key -> last i read
  std::map<std::string, std::string> shard_of_key;  // partition key -> its shard
  int problems = 0;      // records lost, duplicated, or not as acknowledged
  int out_of_order = 0;  // records read before an earlier record of their key
  for (const auto& [shard_id, records] : shards) {
    for (const auto& r : records) {
      const size_t colon = r.data.find(':');
      ASSERT_NE(colon, std::string::npos) << r.data;
      const int t = std::stoi(r.data.substr(0, colon));
      const int i = std::stoi(r.data.substr(colon + 1));
      ASSERT_TRUE(t >= 0 && t < kThreads && i >= 0 && i < kPerThread) << r.data;
      ++seen[t][i];
      const std::string key = "p" + std::to_string(t) + "-" + std::to_string(i % kKeysPerThread);
      if (r.partition_key != key || !(acked[t][i] == r.seq)) {
        if (++problems <= 5) {
          ADD_FAILURE() << "record " << r.data << " has key " << r.partition_key << " and seq "
                        << r.seq.ToString() << "; expected key " << key << " and acked seq "
                        << acked[t][i].ToString();
        }
      }
      auto [shard, fresh] = shard_of_key.emplace(key, shard_id);
      EXPECT_EQ(shard->second, shard_id) << "key " << key << " in two shards";
      auto [last, first] = last_index.emplace(key, i);
      if (!first) {
        if (i <= last->second && ++out_of_order <= 5) {
          ADD_FAILURE() << "key " << key << " in " << shard_id << ": record " << t << ":" << i
                        << " (seq " << r.seq.ToString() << ") stored after record " << t << ":"
                        << last->second;
        }
        last->second = i;
      }
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      if (seen[t][i] != 1 && ++problems <= 5) {
        ADD_FAILURE() << "record " << t << ":" << i << " read " << seen[t][i] << " times";
      }
    }
  }
  EXPECT_EQ(problems, 0);
  // Nothing was retried, so each key's records must be stored in the order they were put
  // (producer.h). A producer pipelines up to max_in_flight PutRecords requests; if the broker
  // commits them in another order than they were sent, keys lose their order.
  EXPECT_EQ(out_of_order, 0) << "records stored out of their partition key's put order";
  EXPECT_EQ(last_index.size(), size_t{kThreads * kKeysPerThread});

  client_.reset();
  ASSERT_OK(broker_->Terminate());
}

TEST_F(BrokerProcessTest, CleanRestartKeepsRecordsAndContinuesSequenceNumbers) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK(client_->CreateStream("durable", 2));
  std::map<SequenceNumber, std::pair<std::string, std::string>> acked;
  {
    Producer::Options options;
    options.max_batch_records = 100;
    Producer producer(client_.get(), "durable", options,
                      [&](std::string_view key, std::string_view data, const Status& status,
                          const SequenceNumber& seq) {
                        EXPECT_OK(status);
                        acked[seq] = {std::string(key), std::string(data)};
                      });
    for (int i = 0; i < 1000; ++i) {
      ASSERT_OK(producer.Put("key-" + std::to_string(i % 17), "before-" + std::to_string(i)));
    }
    ASSERT_OK(producer.Flush());
  }
  ASSERT_EQ(acked.size(), 1000u);
  ASSERT_OK_AND_ASSIGN(auto before, ReadStream(client_.get(), "durable"));
  const std::string old_endpoint = broker_->endpoint();
  const pid_t old_pid = broker_->pid();
  client_.reset();
  ASSERT_OK(broker_->Terminate());

  ASSERT_NO_FATAL_FAILURE(StartBroker());
  EXPECT_NE(broker_->pid(), old_pid);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, client_->ListStreams());
  EXPECT_EQ(names, std::vector<std::string>{"durable"});
  ASSERT_OK_AND_ASSIGN(auto after, ReadStream(client_.get(), "durable"));
  ExpectWellOrdered(after);
  ASSERT_EQ(CountRecords(after), acked.size())
      << "old endpoint " << old_endpoint << ", new " << broker_->endpoint();
  std::map<uint32_t, SequenceNumber> last_before;  // shard index -> its newest record
  for (const auto& [shard_id, records] : after) {
    ASSERT_EQ(records.size(), before[shard_id].size()) << shard_id;
    for (size_t i = 0; i < records.size(); ++i) {
      const auto& r = records[i];
      auto it = acked.find(r.seq);
      ASSERT_NE(it, acked.end()) << r.seq.ToString();
      EXPECT_EQ(r.partition_key, it->second.first);
      EXPECT_EQ(r.data, it->second.second);
      EXPECT_TRUE(r.seq == before[shard_id][i].seq) << shard_id << " record " << i;
      last_before[r.seq.shard_index] = r.seq;
    }
  }
  ASSERT_EQ(last_before.size(), 2u) << "17 keys should reach both shards";

  // New records continue each shard's sequence past the records written before the restart.
  std::vector<std::string> keys, data;
  for (int i = 0; i < 200; ++i) {
    keys.push_back("key-" + std::to_string(i % 17));
    data.push_back("after-" + std::to_string(i));
  }
  std::vector<PutEntry> entries;
  for (size_t i = 0; i < keys.size(); ++i) entries.push_back({keys[i], data[i], std::nullopt});
  std::vector<PutResult> results;
  ASSERT_OK(client_->PutRecords("durable", entries, &results));
  ASSERT_EQ(results.size(), entries.size());
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_OK(results[i].status);
    const SequenceNumber& seq = results[i].sequence_number;
    EXPECT_GT(seq, last_before[seq.shard_index]) << "entry " << i << ": " << seq.ToString();
    EXPECT_GT(seq.ToString(), last_before[seq.shard_index].ToString());
  }
  ASSERT_OK_AND_ASSIGN(auto final_read, ReadStream(client_.get(), "durable"));
  ExpectWellOrdered(final_read);
  EXPECT_EQ(CountRecords(final_read), 1200u);

  // SIGINT stops the broker as cleanly as SIGTERM.
  client_.reset();
  ASSERT_OK(broker_->Terminate(SIGINT));
}

// kill -9 while producers are writing: every acknowledged record must come back after a
// restart, at exactly the sequence number it was acknowledged with. Three crashes in a row,
// each checked against everything acknowledged so far.
TEST_F(BrokerProcessTest, KillNineLosesNoAcknowledgedRecord) {
  constexpr int kRounds = 3;
  constexpr int kProducers = 3;
  constexpr size_t kAcksPerRound = 10000;
  const std::string stream = "crash";
  struct Ack {
    std::string partition_key;
    std::string data;
    SequenceNumber seq;
  };
  std::mutex mu;
  std::condition_variable acked_cv;
  std::vector<Ack> acks;  // GUARDED_BY(mu)

  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK(client_->CreateStream(stream, 4));
  std::map<uint32_t, SequenceNumber> newest_read;  // shard index -> newest record after a restart
  for (int round = 0; round < kRounds; ++round) {
    size_t acks_before;
    {
      std::lock_guard lock(mu);
      acks_before = acks.size();
    }
    std::atomic<bool> stop{false};
    std::vector<std::unique_ptr<zmq::context_t>> contexts;
    std::vector<std::thread> producers;
    std::vector<Status> exit_status(kProducers);
    for (int t = 0; t < kProducers; ++t) {
      contexts.push_back(std::make_unique<zmq::context_t>(1));
      producers.emplace_back([&, t, ctx = contexts.back().get()] {
        StreamClient::Options client_options;
        client_options.timeout = std::chrono::seconds(2);
        auto client = StreamClient::Connect(ctx, broker_->endpoint(), client_options);
        if (!client.ok()) {
          exit_status[t] = client.status();
          return;
        }
        Producer::Options options;
        options.max_attempts = 1;  // no resends: each record is written at most once
        options.max_batch_records = 100;
        Producer producer(client->get(), stream, options,
                          [&](std::string_view key, std::string_view data, const Status& status,
                              const SequenceNumber& seq) {
                            if (!status.ok()) return;
                            std::lock_guard lock(mu);
                            acks.push_back({std::string(key), std::string(data), seq});
                            acked_cv.notify_all();
                          });
        for (int i = 0; !stop.load(); ++i) {
          Status s = producer.Put(
              "r" + std::to_string(round) + "-p" + std::to_string(t) + "-" + std::to_string(i % 40),
              "r" + std::to_string(round) + "/t" + std::to_string(t) + "/" + std::to_string(i));
          if (!s.ok()) {
            exit_status[t] = s;
            return;
          }
        }
      });
    }
    {
      std::unique_lock lock(mu);
      const bool enough = acked_cv.wait_for(lock, std::chrono::seconds(30), [&] {
        return acks.size() >= acks_before + kAcksPerRound;
      });
      EXPECT_TRUE(enough) << "round " << round << ": only " << acks.size() - acks_before << " acks";
    }
    // The producers are still sending when the broker dies.
    EXPECT_OK(broker_->Kill());
    // The Producer presumes a request lost only after a fixed 10 s (it does not use the
    // client's 2 s timeout), so a producer blocked in Put() would notice `stop` that late.
    // Shutting the producers' contexts down makes their pending receives fail at once instead.
    stop = true;
    for (auto& ctx : contexts) ctx->shutdown();
    for (auto& th : producers) th.join();
    contexts.clear();
    for (int t = 0; t < kProducers; ++t) {
      const Status& s = exit_status[t];
      EXPECT_TRUE(s.ok() || s.code() == Status::Code::kUnavailable) << s.ToString();
    }

    ASSERT_NO_FATAL_FAILURE(StartBroker());
    ASSERT_OK_AND_ASSIGN(auto shards, ReadStream(client_.get(), stream));
    ExpectWellOrdered(shards);
    std::map<SequenceNumber, const StoredRecord*> by_seq;
    std::set<std::string> data_seen;
    for (const auto& [_, records] : shards) {
      for (const auto& r : records) {
        by_seq[r.seq] = &r;
        EXPECT_TRUE(data_seen.insert(r.data).second) << "record " << r.data << " stored twice";
      }
    }
    std::lock_guard lock(mu);
    size_t missing = 0, wrong = 0, not_after_restart = 0;
    for (size_t k = 0; k < acks.size(); ++k) {
      const Ack& a = acks[k];
      auto it = by_seq.find(a.seq);
      if (it == by_seq.end()) {
        if (++missing <= 5)
          ADD_FAILURE() << "acked " << a.data << " at " << a.seq.ToString() << " is lost";
        continue;
      }
      if (it->second->partition_key != a.partition_key || it->second->data != a.data) {
        if (++wrong <= 5) {
          ADD_FAILURE() << "acked " << a.data << " at " << a.seq.ToString() << ", but read "
                        << it->second->data;
        }
      }
      // This round's records come after everything the previous restart found in the shard.
      if (k >= acks_before) {
        auto prev = newest_read.find(a.seq.shard_index);
        if (prev != newest_read.end() && !(prev->second < a.seq) && ++not_after_restart <= 5) {
          ADD_FAILURE() << a.data << " got " << a.seq.ToString() << ", not after "
                        << prev->second.ToString();
        }
      }
    }
    EXPECT_EQ(missing, 0u) << "round " << round << " of " << acks.size() << " acks";
    EXPECT_EQ(wrong, 0u) << "round " << round;
    EXPECT_EQ(not_after_restart, 0u) << "round " << round;
    for (const auto& [_, records] : shards) {
      if (!records.empty()) newest_read[records.back().seq.shard_index] = records.back().seq;
    }
    EXPECT_GE(CountRecords(shards), acks.size());
    if (HasFatalFailure()) return;
  }
  client_.reset();
  ASSERT_OK(broker_->Terminate());
}

TEST_F(BrokerProcessTest, CliAgainstARunningBroker) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const std::string ep = broker_->endpoint();
  const std::string scratch = dir_.path();

  ASSERT_OK_AND_ASSIGN(
      CliRun create,
      RunPinstream({"stream", "create", "cli", "--shards", "2", "--broker", ep}, scratch));
  ASSERT_EQ(create.exit_code, 0) << create.err;
  EXPECT_EQ(json::parse(create.out).at("StreamName"), "cli") << create.out;

  ASSERT_OK_AND_ASSIGN(CliRun describe,
                       RunPinstream({"stream", "describe", "cli", "--broker", ep}, scratch));
  ASSERT_EQ(describe.exit_code, 0) << describe.err;
  json desc = json::parse(describe.out, nullptr, false);
  ASSERT_TRUE(desc.is_object()) << describe.out;
  EXPECT_EQ(desc.value("StreamName", ""), "cli");
  ASSERT_EQ(desc.at("Shards").size(), 2u) << describe.out;
  for (const auto& shard : desc["Shards"]) {
    EXPECT_TRUE(shard.contains("HashKeyRange")) << shard.dump();
    EXPECT_TRUE(shard.contains("SequenceNumberRange")) << shard.dump();
  }

  ASSERT_OK_AND_ASSIGN(CliRun list, RunPinstream({"stream", "list", "--broker", ep}, scratch));
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out).at("StreamNames"), json::array({"cli"})) << list.out;

  ASSERT_OK_AND_ASSIGN(CliRun nope,
                       RunPinstream({"stream", "describe", "nope", "--broker", ep}, scratch));
  EXPECT_NE(nope.exit_code, 0);
  EXPECT_EQ(nope.out, "");
  EXPECT_TRUE(nope.err.starts_with("ResourceNotFoundException: ")) << nope.err;
  EXPECT_NE(nope.err.find("nope"), std::string::npos) << nope.err;

  ASSERT_OK_AND_ASSIGN(CliRun put, RunPinstream({"stream", "put", "cli", "--partition-key", "k",
                                                 "--data", "hello", "--broker", ep},
                                                scratch));
  ASSERT_EQ(put.exit_code, 0) << put.err;
  json put_res = json::parse(put.out, nullptr, false);
  ASSERT_TRUE(put_res.is_object()) << put.out;
  EXPECT_EQ(put_res.size(), 2u) << put.out;
  const std::string shard_id = put_res.value("ShardId", "");
  const std::string seq = put_res.value("SequenceNumber", "");
  ASSERT_OK(ShardIndexFromId(shard_id).status());
  ASSERT_OK(SequenceNumber::Parse(seq).status());

  ASSERT_OK_AND_ASSIGN(CliRun get,
                       RunPinstream({"stream", "get", "cli", "--shard", shard_id, "--iterator",
                                     "AT_SEQUENCE_NUMBER:" + seq, "--broker", ep},
                                    scratch));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  json got = json::parse(get.out, nullptr, false);
  ASSERT_TRUE(got.is_object()) << get.out;
  ASSERT_GE(got.at("Records").size(), 1u) << get.out;
  EXPECT_EQ(got["Records"][0].at("Data"), "aGVsbG8=");
  EXPECT_EQ(got["Records"][0].at("PartitionKey"), "k");
  EXPECT_EQ(got["Records"][0].at("SequenceNumber"), seq);
  EXPECT_TRUE(got["Records"][0].contains("ApproximateArrivalTimestamp"));
  EXPECT_TRUE(got.at("NextShardIterator").is_string());
  EXPECT_TRUE(got.at("MillisBehindLatest").is_number());

  const std::string jsonl = dir_.Sub("records.jsonl");
  {
    std::ofstream f(jsonl);
    f << R"({"PartitionKey":"a","Data":"b25l"})"
      << "\n"
      << R"({"PartitionKey":"","Data":"dHdv"})"
      << "\n"
      << R"({"PartitionKey":"c","Data":"dGhyZWU="})"
      << "\n";
  }
  ASSERT_OK_AND_ASSIGN(
      CliRun put_records,
      RunPinstream({"stream", "put-records", "cli", "--file", jsonl, "--broker", ep}, scratch));
  // An empty partition key breaks AWS's constraints: the whole call is refused, as
  // `aws kinesis put-records` would be, and nothing of it is written.
  EXPECT_NE(put_records.exit_code, 0);
  EXPECT_NE(put_records.err.find("ValidationException: 1 validation error detected: Value '' at "
                                 "'records.2.member.partitionKey'"),
            std::string::npos)
      << put_records.err;
  ASSERT_OK_AND_ASSIGN(auto shards, ReadStream(client_.get(), "cli"));
  EXPECT_EQ(CountRecords(shards), 1u);

  ASSERT_OK_AND_ASSIGN(CliRun bogus, RunPinstream({"stream", "get", "cli", "--shard", shard_id,
                                                   "--iterator", "BOGUS", "--broker", ep},
                                                  scratch));
  EXPECT_NE(bogus.exit_code, 0);
  EXPECT_TRUE(bogus.err.starts_with("InvalidArgumentException: ")) << bogus.err;

  client_.reset();
  ASSERT_OK(broker_->Terminate());
}

TEST(BrokerProcessStartTest, ReportsABrokerThatCannotStart) {
  TempDir dir;
  // A regular file where the data directory should be: the store cannot open.
  const std::string data = dir.Sub("data");
  std::ofstream(data) << "not a directory";
  auto broker = BrokerProcess::Start(data);
  ASSERT_FALSE(broker.ok());
  EXPECT_NE(broker.status().message().find("exited with status 1"), std::string::npos)
      << broker.status().ToString();
}

TEST(BrokerProcessStartTest, GivesUpOnABrokerThatIsNotReadyInTime) {
  TempDir dir;
  // No broker opens its store and binds within a millisecond of fork().
  auto broker = BrokerProcess::Start(dir.Sub("data"), {}, std::chrono::milliseconds(1));
  ASSERT_FALSE(broker.ok());
  EXPECT_EQ(broker.status().code(), Status::Code::kUnavailable) << broker.status().ToString();
  EXPECT_NE(broker.status().message().find("no ready line"), std::string::npos)
      << broker.status().ToString();
}

}  // namespace
}  // namespace pinstream
