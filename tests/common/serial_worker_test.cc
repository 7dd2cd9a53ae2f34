// SerialWorker: tasks run one at a time on one thread, off the owner's, and Await hands back
// each task's status.
#include "common/serial_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace pinstream {
namespace {

TEST(SerialWorkerTest, RunsEachTaskOnOneOtherThreadAndReturnsItsStatus) {
  SerialWorker worker("test-worker");
  EXPECT_FALSE(worker.pending());
  EXPECT_TRUE(worker.Await().ok());  // nothing submitted

  std::thread::id first;
  worker.Submit([&] {
    first = std::this_thread::get_id();
    return Status::OK();
  });
  EXPECT_TRUE(worker.pending());
  EXPECT_TRUE(worker.Await().ok());
  EXPECT_FALSE(worker.pending());
  EXPECT_NE(first, std::this_thread::get_id());

  for (int i = 0; i < 100; ++i) {
    std::thread::id id;
    worker.Submit([&, i] {
      id = std::this_thread::get_id();
      return i % 2 ? Status::IOError("task " + std::to_string(i)) : Status::OK();
    });
    Status st = worker.Await();
    EXPECT_EQ(id, first) << "one thread for every task";
    if (i % 2) {
      EXPECT_EQ(st.code(), Status::Code::kIOError);
      EXPECT_EQ(st.message(), "task " + std::to_string(i));
    } else {
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
  }
}

TEST(SerialWorkerTest, OverlapsTheOwnerAndTheDestructorWaitsForTheTask) {
  std::atomic<bool> release{false};
  std::atomic<bool> done{false};
  {
    SerialWorker worker("test-worker");
    worker.Submit([&] {
      while (!release.load()) std::this_thread::yield();
      done = true;
      return Status::OK();
    });
    // Submit returned while the task waits on us: it runs beside the owner.
    EXPECT_FALSE(done.load());
    release = true;
  }  // ~SerialWorker waits for the task
  EXPECT_TRUE(done.load());
}

}  // namespace
}  // namespace pinstream
