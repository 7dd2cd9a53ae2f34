#include "batch/object_prefetcher.h"

#include <pthread.h>

#include <utility>

namespace pinstream {

ObjectPrefetcher::ObjectPrefetcher(ObjectStore* store)
    : store_(store), thread_([this](std::stop_token stop) { Run(stop); }) {}

ObjectPrefetcher::~ObjectPrefetcher() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

std::future<ObjectPrefetcher::Loaded> ObjectPrefetcher::Fetch(ArchiveObject object) {
  std::packaged_task<Loaded()> task(
      [this, object = std::move(object)] { return ReadArchiveObject(store_, object); });
  std::future<Loaded> loaded = task.get_future();
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return loaded;
}

void ObjectPrefetcher::Run(std::stop_token stop) {
  pthread_setname_np(pthread_self(), "prefetch");  // as `top -H` and perf show it
  std::unique_lock lock(mu_);
  while (cv_.wait(lock, stop, [this] { return !queue_.empty(); })) {
    std::packaged_task<Loaded()> task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace pinstream
