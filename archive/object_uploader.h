#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "archive/object_store.h"

namespace pinstream {

// What an archive wrote for one topic.
struct ArchiveStats {
  uint64_t objects = 0;  // data objects (each has a headers companion beside it)
  uint64_t records = 0;
  uint64_t bytes = 0;  // of the data objects
};

// One finished object of a partition: its headers companion, then its data object.
struct FinishedObject {
  std::string topic;
  uint64_t records = 0;
  std::string headers_key;
  std::string headers;
  std::string data_key;
  std::string data;
};

// Writes finished objects to a store in the order they were submitted, each headers companion
// before its data object (the commit point), so that every partition's objects land in offset
// order and a kill at any instant leaves each partition's series a prefix of what was
// submitted. In the background mode one thread of its own does the writing (I/O and fsyncs)
// while the caller reads and encodes the next records; at most `max_pending` objects wait.
// Otherwise Submit writes before it returns.
//
// A failed write is sticky: every later Submit and Finish return it, and nothing more is
// written. Borrows the store, which must outlive the uploader and is used only by the
// uploader's thread while it runs. Submit and Finish belong to one thread.
class ObjectUploader {
 public:
  ObjectUploader(ObjectStore* store, bool background, size_t max_pending = 4);
  ~ObjectUploader();
  ObjectUploader(const ObjectUploader&) = delete;
  ObjectUploader& operator=(const ObjectUploader&) = delete;

  // Queues (or, not in the background, writes) `object`; blocks while max_pending wait.
  Status Submit(FinishedObject object);
  // Waits until everything submitted is written: the first error, if any.
  Status Finish();

  // Per topic, what was written. Read it after Finish.
  const std::map<std::string, ArchiveStats>& stats() const { return stats_; }

 private:
  Status Write(const FinishedObject& object);
  void Loop(std::stop_token stop);

  ObjectStore* store_;
  const bool background_;
  const size_t max_pending_;
  std::mutex mu_;
  std::condition_variable_any changed_;
  std::deque<FinishedObject> queue_;           // GUARDED_BY(mu_)
  bool writing_ = false;                       // GUARDED_BY(mu_): the thread holds one it popped
  Status error_;                               // GUARDED_BY(mu_)
  std::map<std::string, ArchiveStats> stats_;  // written by the thread, read after Finish
  std::jthread thread_;
};

}  // namespace pinstream
