// dedup: {"key": ["ind"]} keeps the first row of each key and drops the rest, remembering the
// keys seen in operator state (Spark's dropDuplicates on a stream).
#include "operators/operator.h"
#include "operators/operator_config.h"

namespace pinstream {

namespace {

class Dedup final : public Operator {
 public:
  explicit Dedup(std::vector<int> key) : key_(std::move(key)) {}

  void Bind(StateStore* state) override { state_ = state; }
  bool stateful() const override { return true; }

  Status Apply(Row& row, bool* keep) override {
    if (!state_) return Status::Internal("dedup used without a state store");
    key_bytes_.clear();
    for (int c : key_) row[c].EncodeTo(&key_bytes_);
    ASSIGN_OR_RETURN(auto seen, state_->Get(key_bytes_));
    if (seen) {
      *keep = false;
      return Status::OK();
    }
    return state_->Put(key_bytes_, "");
  }

 private:
  std::vector<int> key_;
  StateStore* state_ = nullptr;  // borrowed; outlives the operator
  std::string key_bytes_;
};

std::unique_ptr<Operator> MakeDedup(const OperatorArgs& a) {
  CheckKnownFields(a, {"key"});
  auto key = InputColumns(a, "key");
  if (!key) return nullptr;
  *a.output = a.input;
  return std::make_unique<Dedup>(std::move(*key));
}

}  // namespace

void RegisterDedupOperator(OperatorRegistry* r) { r->Register("dedup", MakeDedup); }

}  // namespace pinstream
