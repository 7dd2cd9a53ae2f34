#include "operators/meta_record.h"

#include "common/coding.h"

namespace pinstream {

Result<bool> MetaRecord::Load(StateStore* state, WatermarkTracker* tracker, std::string_view what) {
  keys = bytes = 0;
  stored_.clear();
  ASSIGN_OR_RETURN(auto saved, state->Get(key_));
  if (!saved) return false;
  Decoder d(*saved);
  if (!d.GetVarint64(&keys) || !d.GetVarint64(&bytes) || !tracker->Decode(d.rest())) {
    return Status::Corruption("malformed " + std::string(what) + " state: the meta record");
  }
  stored_ = std::move(*saved);
  return true;
}

Status MetaRecord::Stage(StateStore* state, const WatermarkTracker& tracker) {
  encoded_.clear();
  PutVarint64(&encoded_, keys);
  PutVarint64(&encoded_, bytes);
  tracker.Encode(&encoded_);
  if (encoded_ == stored_) return Status::OK();
  RETURN_IF_ERROR(state->Put(key_, encoded_));
  stored_.swap(encoded_);
  return Status::OK();
}

StateStats MetaRecord::stats() const {
  StateStats s;
  s.keys = keys + (stored_.empty() ? 0 : 1);
  s.bytes = bytes + (stored_.empty() ? 0 : key_.size() + stored_.size());
  return s;
}

}  // namespace pinstream
