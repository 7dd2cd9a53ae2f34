#pragma once

#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "archive/archive_layout.h"
#include "archive/object_store.h"
#include "batch/archive_object_reader.h"

namespace pinstream {

// Reads and parses archive objects (ReadArchiveObject) on a thread of its own, in the order they
// were asked for, so that a batch run's next objects are ready when its shards come to them:
// reading overlaps processing, as the streaming processor's shard readers prefetch.
//
// Borrows `store`, which must outlive the prefetcher and which only its thread may use meanwhile
// (a store is for one thread). Fetch may be called from any thread. The destructor drops the
// fetches not started (their futures then hold a broken promise) and waits for the one being read.
class ObjectPrefetcher {
 public:
  using Loaded = Result<std::shared_ptr<const LoadedObject>>;

  explicit ObjectPrefetcher(ObjectStore* store);
  ~ObjectPrefetcher();

  ObjectPrefetcher(const ObjectPrefetcher&) = delete;
  ObjectPrefetcher& operator=(const ObjectPrefetcher&) = delete;

  // Queues `object`'s read; the future holds the object or the read's error.
  std::future<Loaded> Fetch(ArchiveObject object);

 private:
  void Run(std::stop_token stop);

  ObjectStore* store_;  // used by the thread only
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::packaged_task<Loaded()>> queue_;  // GUARDED_BY(mu_)
  std::jthread thread_;                             // last: stopped and joined before the rest goes
};

}  // namespace pinstream
