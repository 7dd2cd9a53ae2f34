#include "archive/object_uploader.h"

#include <spdlog/spdlog.h>

namespace pinstream {

ObjectUploader::ObjectUploader(ObjectStore* store, bool background, size_t max_pending)
    : store_(store), background_(background), max_pending_(std::max<size_t>(max_pending, 1)) {
  if (background_) thread_ = std::jthread([this](std::stop_token st) { Loop(st); });
}

ObjectUploader::~ObjectUploader() {
  if (thread_.joinable()) {
    thread_.request_stop();
    changed_.notify_all();
  }
}

Status ObjectUploader::Write(const FinishedObject& object) {
  Status s = store_->Put(object.headers_key, object.headers);
  if (s.ok()) s = store_->Put(object.data_key, object.data);
  if (!s.ok()) return s.WithContext("writing " + object.data_key);
  spdlog::debug("archive wrote key={} records={} bytes={}", object.data_key, object.records,
                object.data.size());
  ArchiveStats& st = stats_[object.topic];
  st.objects += 1;
  st.records += object.records;
  st.bytes += object.data.size();
  return Status::OK();
}

Status ObjectUploader::Submit(FinishedObject object) {
  if (!background_) {
    RETURN_IF_ERROR(error_);
    error_ = Write(object);
    return error_;
  }
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return !error_.ok() || queue_.size() < max_pending_; });
  RETURN_IF_ERROR(error_);
  queue_.push_back(std::move(object));
  changed_.notify_all();
  return Status::OK();
}

Status ObjectUploader::Finish() {
  if (!background_) return error_;
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return !error_.ok() || (queue_.empty() && !writing_); });
  return error_;
}

void ObjectUploader::Loop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (true) {
    changed_.wait(lock, stop, [this] { return !queue_.empty(); });
    if (queue_.empty()) return;  // stopped with nothing left
    FinishedObject object = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    changed_.notify_all();  // room in the queue
    lock.unlock();
    Status s = Write(object);
    lock.lock();
    writing_ = false;
    if (!s.ok()) {
      error_ = s;
      queue_.clear();
      changed_.notify_all();
      return;
    }
    changed_.notify_all();
  }
}

}  // namespace pinstream
