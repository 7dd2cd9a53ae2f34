#include "common/serial_worker.h"

#include <pthread.h>

#include <utility>

namespace pinstream {

SerialWorker::~SerialWorker() { (void)Await(); }

void SerialWorker::Submit(std::function<Status()> task) {
  if (!thread_.joinable()) {
    thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
  }
  {
    std::lock_guard lock(mu_);
    task_ = std::move(task);
    result_.reset();
  }
  cv_.notify_all();
  pending_ = true;
}

Status SerialWorker::Await() {
  if (!pending_) return Status::OK();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return result_.has_value(); });
  pending_ = false;
  return *std::exchange(result_, std::nullopt);
}

void SerialWorker::Run(std::stop_token stop) {
  // Named as `top -H` and perf show it (at most 15 characters).
  pthread_setname_np(pthread_self(), thread_name_.substr(0, 15).c_str());
  std::unique_lock lock(mu_);
  while (cv_.wait(lock, stop, [this] { return task_ != nullptr; })) {
    auto task = std::exchange(task_, nullptr);
    lock.unlock();
    Status st = task();
    lock.lock();
    result_ = std::move(st);
    cv_.notify_all();
  }
}

}  // namespace pinstream
