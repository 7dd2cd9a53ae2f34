// `pinstream archive` killed with SIGKILL at random instants while records flow into the broker,
// and started again each time: in the end every record is archived exactly once, in offset order
// per partition, with no gap.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "archive/directory_store.h"
#include "tests/archive/archive_test_util.h"
#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BrokerProcess;
using testing::PinstreamProcess;
using testing::Positions;
using testing::TempDir;

uint64_t Seed() {
  const char* env = std::getenv("PINSTREAM_TEST_SEED");
  return env != nullptr ? std::stoull(env) : 16'2026;
}

// Every partition holds offsets 1, 2, ... with none missing and none twice.
void ExpectDensePrefixes(const std::map<uint32_t, std::vector<testing::ArchivedLine>>& archived,
                         int round) {
  for (const auto& [partition, lines] : archived) {
    for (size_t i = 0; i < lines.size(); ++i) {
      ASSERT_EQ(lines[i].offset, i + 1)
          << "after kill " << round << ": partition " << partition << " in " << lines[i].key;
    }
  }
}

TEST(ArchiveKillTest, EveryRecordExactlyOnceAfterKill9AtRandomInstants) {
  const uint64_t seed = Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (PINSTREAM_TEST_SEED)");
  std::mt19937_64 rng(seed);
  TempDir dir;
  zmq::context_t ctx;
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(dir.Sub("broker")));
  ASSERT_OK_AND_ASSIGN(auto client, StreamClient::Connect(&ctx, broker->endpoint()));
  ASSERT_OK(client->CreateStream("kill-arch", 3));

  // Records flow the whole time, from a thread with its own connection.
  Positions positions;
  std::mutex mu;
  std::atomic<bool> producing{true};
  Status produced;
  std::thread producer([&] {
    auto c = StreamClient::Connect(&ctx, broker->endpoint());
    if (!c.ok()) {
      produced = c.status();
      return;
    }
    uint64_t next = 0;
    while (producing) {
      Positions batch;
      Status s = testing::PutNumbered(c->get(), "kill-arch", next, 250, &batch, 200);
      if (!s.ok()) {
        produced = s;
        return;
      }
      next += 250;
      {
        std::lock_guard lock(mu);
        positions.merge(batch);
      }
      // About 25,000 records a second: a busy stream, and an archive small enough to check
      // after every kill.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });

  const std::string archive = dir.Sub("archive");
  const std::vector<std::string> args = {
      "--log-level",  "info",  "archive",           "kill-arch",
      "--to",         archive, "--broker",          broker->endpoint(),
      "--flush-size", "97",    "--rotate-interval", "30ms"};
  constexpr int kKills = 20;
  size_t temps_seen = 0;
  int kills_mid_write = 0;
  for (int round = 1; round <= kKills; ++round) {
    ASSERT_OK_AND_ASSIGN(auto proc, PinstreamProcess::Start(args, {}, dir.Sub("archive.log")));
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));
    ASSERT_FALSE(proc->Exited().has_value()) << "the archiver exited by itself:\n"
                                             << testing::ReadWholeFile(dir.Sub("archive.log"));
    ASSERT_OK_AND_ASSIGN(int status, proc->Kill());
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ASSERT_OK_AND_ASSIGN(auto store, DirectoryStore::Open(archive));
    ExpectDensePrefixes(testing::ReadArchive(store.get(), "kill-arch"), round);
    if (HasFatalFailure()) return;
    // Evidence that kills land inside a write: the temporary files they leave.
    size_t temps = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(archive)) {
      temps += DirectoryStore::IsTemporaryName(e.path().filename().string()) ? 1 : 0;
    }
    if (temps > temps_seen) ++kills_mid_write;
    temps_seen = temps;
  }
  std::cout << "kills that interrupted a write: " << kills_mid_write << " of " << kKills
            << std::endl;
  producing = false;
  producer.join();
  ASSERT_OK(produced);

  // The last run archives the rest and exits.
  ASSERT_OK_AND_ASSIGN(testing::CliRun run,
                       testing::RunPinstream({"archive", "kill-arch", "--to", archive, "--broker",
                                              broker->endpoint(), "--flush-size", "97", "--once"},
                                             dir.path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_OK_AND_ASSIGN(auto store, DirectoryStore::Open(archive));
  auto archived = testing::ReadArchive(store.get(), "kill-arch");
  ExpectDensePrefixes(archived, kKills + 1);
  std::lock_guard lock(mu);
  ASSERT_GT(positions.size(), 1000u);
  testing::ExpectExactly(archived, positions);
}

}  // namespace
}  // namespace pinstream
