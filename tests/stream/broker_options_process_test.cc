// The broker's options and the Producer's retry against a real `pinstream broker` process:
// `--sync` (acknowledged records survive kill -9), `--workers` (the request threads it starts,
// and refusing none), and the Producer sending again the requests a stopped broker left
// unanswered past the client's timeout. Nothing is mocked: the faults are real signals.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "stream/producer.h"
#include "stream/stream_client.h"
#include "stream/stream_types.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BrokerProcess;
using testing::CliRun;
using testing::RunPinstream;
using testing::TempDir;

// Every record of a stream from TRIM_HORIZON: sequence number -> (partition key, data). Nobody
// writes while the test reads, so an empty batch means the shard is read to its end.
Result<std::multimap<SequenceNumber, std::pair<std::string, std::string>>> ReadAll(
    StreamClient* client, const std::string& stream) {
  std::multimap<SequenceNumber, std::pair<std::string, std::string>> out;
  ASSIGN_OR_RETURN(std::vector<std::string> shard_ids, client->ListShardIds(stream));
  for (const auto& shard_id : shard_ids) {
    ASSIGN_OR_RETURN(std::string iterator, client->GetShardIterator(stream, shard_id, {}));
    while (true) {
      ASSIGN_OR_RETURN(GetRecordsReply reply, client->GetRecords(iterator, kMaxGetRecordsLimit));
      for (const RecordView& r : reply.records) {
        out.emplace(r.sequence_number,
                    std::make_pair(std::string(r.partition_key), std::string(r.data)));
      }
      iterator = reply.meta.next_iterator;
      if (reply.records.empty()) break;
    }
  }
  return out;
}

// The number of threads of process `pid`, from /proc/PID/status.
int ThreadCount(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  }
  return -1;
}

class BrokerOptionsProcessTest : public ::testing::Test {
 protected:
  void StartBroker(const std::vector<std::string>& args,
                   StreamClient::Options client_options = {}) {
    client_.reset();
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(dir_.Sub("data"), args));
    ASSERT_OK_AND_ASSIGN(client_,
                         StreamClient::Connect(&ctx_, broker_->endpoint(), client_options));
  }

  // Declared in destruction order: the client before its context, the broker before its files.
  TempDir dir_;
  zmq::context_t ctx_{1};
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<StreamClient> client_;
};

// `--sync` fsyncs RocksDB's write-ahead log before each acknowledgement. What it adds over the
// default (surviving power loss or a kernel crash, not only the process's death) cannot be
// simulated here: kill -9 leaves the page cache to the kernel, so this checks that the flag is
// taken and that its write path loses nothing acknowledged, across two crashes.
TEST_F(BrokerOptionsProcessTest, SyncIsTakenAndAcknowledgedRecordsSurviveKillNine) {
  std::map<SequenceNumber, std::pair<std::string, std::string>> acked;
  for (int round = 0; round < 2; ++round) {
    ASSERT_NO_FATAL_FAILURE(StartBroker({"--sync"}));
    if (round == 0) ASSERT_OK(client_->CreateStream("synced", 3));
    Producer::Options options;
    options.max_batch_records = 50;
    options.max_attempts = 1;  // no resends: each record is stored at most once
    Producer producer(client_.get(), "synced", options,
                      [&](std::string_view key, std::string_view data, const Status& status,
                          const SequenceNumber& seq) {
                        EXPECT_OK(status);
                        if (status.ok()) acked[seq] = {std::string(key), std::string(data)};
                      });
    for (int i = 0; i < 600; ++i) {
      ASSERT_OK(producer.Put("k" + std::to_string(i % 23),
                             "r" + std::to_string(round) + "/" + std::to_string(i)));
    }
    ASSERT_OK(producer.Flush());
    ASSERT_EQ(producer.stats().acked, 600u);
    client_.reset();
    ASSERT_OK(broker_->Kill());
  }
  ASSERT_EQ(acked.size(), 1200u);

  ASSERT_NO_FATAL_FAILURE(StartBroker({"--sync"}));
  ASSERT_OK_AND_ASSIGN(auto stored, ReadAll(client_.get(), "synced"));
  EXPECT_EQ(stored.size(), acked.size());
  size_t lost = 0;
  for (const auto& [seq, record] : acked) {
    auto it = stored.find(seq);
    if (it == stored.end() || it->second != record) {
      if (++lost <= 5) ADD_FAILURE() << "acked " << record.second << " at " << seq.ToString();
    }
  }
  EXPECT_EQ(lost, 0u);
  client_.reset();
  ASSERT_OK(broker_->Terminate());
}

// `--workers N` starts N request threads (the rest of the broker's threads do not depend on
// N), serves clients spread over them, and refuses 0.
TEST_F(BrokerOptionsProcessTest, WorkersSetTheRequestThreads) {
  ASSERT_OK_AND_ASSIGN(CliRun refused,
                       RunPinstream({"broker", "--data", dir_.Sub("none"), "--listen",
                                     "tcp://127.0.0.1:*", "--workers", "0"},
                                    dir_.path()));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("at least one worker"), std::string::npos) << refused.err;

  ASSERT_NO_FATAL_FAILURE(StartBroker({"--workers", "1"}));
  const int one = ThreadCount(broker_->pid());
  ASSERT_GT(one, 0);
  client_.reset();
  ASSERT_OK(broker_->Terminate());

  constexpr int kWorkers = 6;
  ASSERT_NO_FATAL_FAILURE(StartBroker({"--workers", std::to_string(kWorkers)}));
  EXPECT_EQ(ThreadCount(broker_->pid()) - one, kWorkers - 1);
  ASSERT_OK(client_->CreateStream("spread", 2));

  // More connections than workers, all at once: each one's writes come back whole.
  constexpr int kClients = 12;
  constexpr int kPerClient = 200;
  std::vector<Status> results(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      zmq::context_t ctx(1);
      auto client = StreamClient::Connect(&ctx, broker_->endpoint());
      if (!client.ok()) {
        results[c] = client.status();
        return;
      }
      std::vector<std::string> keys, data;
      for (int i = 0; i < kPerClient; ++i) {
        keys.push_back("c" + std::to_string(c) + "-" + std::to_string(i % 7));
        data.push_back(std::to_string(c) + "/" + std::to_string(i));
      }
      for (int i = 0; i < kPerClient && results[c].ok(); i += 20) {
        std::vector<PutEntry> entries;
        for (int j = i; j < i + 20; ++j) entries.push_back({keys[j], data[j], std::nullopt});
        std::vector<PutResult> put;
        results[c] = (*client)->PutRecords("spread", entries, &put);
        for (const auto& r : put) {
          if (results[c].ok()) results[c] = r.status;
        }
      }
      client->reset();
    });
  }
  for (auto& t : threads) t.join();
  for (int c = 0; c < kClients; ++c) {
    EXPECT_TRUE(results[c].ok()) << "client " << c << ": " << results[c].ToString();
  }
  ASSERT_OK_AND_ASSIGN(auto stored, ReadAll(client_.get(), "spread"));
  std::map<std::string, int> seen;
  for (const auto& [_, record] : stored) ++seen[record.second];
  EXPECT_EQ(seen.size(), static_cast<size_t>(kClients * kPerClient));
  for (const auto& [data, n] : seen) EXPECT_EQ(n, 1) << data;
  client_.reset();
  ASSERT_OK(broker_->Terminate());
}

// The Producer presumes a request unanswered past the client's timeout lost and sends its
// entries again (producer.h). A broker stopped with SIGSTOP answers nothing until SIGCONT, so
// every request of the first attempts times out and is resent; once the broker runs again every
// record is acknowledged, stored at least once (at-least-once delivery: the first attempts are
// applied too), and found at the sequence number it was acknowledged with.
TEST_F(BrokerOptionsProcessTest, ProducerResendsRequestsUnansweredPastTheTimeout) {
  StreamClient::Options client_options;
  client_options.timeout = std::chrono::milliseconds(200);
  ASSERT_NO_FATAL_FAILURE(StartBroker({}, client_options));
  ASSERT_OK(client_->CreateStream("retried", 2));

  constexpr int kRecords = 300;
  std::map<std::string, std::pair<std::string, SequenceNumber>> acked;  // data -> key, seq
  size_t failures = 0;
  Producer::Options options;
  options.max_batch_records = 50;
  options.max_attempts = 100;  // attempts are 200 ms apart while the broker is stopped
  Producer producer(
      client_.get(), "retried", options,
      [&](std::string_view key, std::string_view data, const Status& status,
          const SequenceNumber& seq) {
        if (!status.ok()) {
          if (++failures <= 5) ADD_FAILURE() << data << ": " << status.ToString();
          return;
        }
        EXPECT_TRUE(acked.emplace(std::string(data), std::make_pair(std::string(key), seq)).second)
            << data << " acknowledged twice";
      });

  ASSERT_EQ(kill(broker_->pid(), SIGSTOP), 0);
  // The stop has to outlast the timeout several times over; this sleep is the fault's length,
  // not a wait for something to happen.
  std::thread resume([pid = broker_->pid()] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    kill(pid, SIGCONT);
  });
  Status put = Status::OK();
  for (int i = 0; i < kRecords && put.ok(); ++i) {
    put = producer.Put("k" + std::to_string(i % 11), "d" + std::to_string(i));
  }
  Status flushed = put.ok() ? producer.Flush() : put;
  resume.join();
  ASSERT_OK(flushed);

  EXPECT_EQ(failures, 0u);
  EXPECT_EQ(producer.stats().acked, static_cast<uint64_t>(kRecords));
  EXPECT_EQ(producer.stats().failed, 0u);
  // Each of the 300 entries was sent at least twice: once before the stop was noticed and again
  // after its request timed out.
  EXPECT_GE(producer.stats().retried, static_cast<uint64_t>(kRecords));
  ASSERT_EQ(acked.size(), static_cast<size_t>(kRecords));

  // Read with the default timeout: 200 ms is short for a long read on a loaded machine.
  ASSERT_OK_AND_ASSIGN(auto reader, StreamClient::Connect(&ctx_, broker_->endpoint()));
  ASSERT_OK_AND_ASSIGN(auto stored, ReadAll(reader.get(), "retried"));
  std::map<std::string, int> copies;
  for (const auto& [_, record] : stored) ++copies[record.second];
  EXPECT_EQ(copies.size(), static_cast<size_t>(kRecords));
  EXPECT_GT(stored.size(), static_cast<size_t>(kRecords)) << "no request was applied twice";
  for (const auto& [data, key_seq] : acked) {
    auto it = stored.find(key_seq.second);
    ASSERT_NE(it, stored.end()) << data << " acked at " << key_seq.second.ToString();
    EXPECT_EQ(it->second.first, key_seq.first);
    EXPECT_EQ(it->second.second, data);
  }
  reader.reset();
  client_.reset();
  ASSERT_OK(broker_->Terminate());
}

}  // namespace
}  // namespace pinstream
