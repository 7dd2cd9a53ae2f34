#include "operators/operator.h"

namespace pinstream {

const OperatorRegistry& OperatorRegistry::Default() {
  static const OperatorRegistry* registry = [] {
    auto* r = new OperatorRegistry();
    RegisterJsonOperators(r);
    RegisterColumnOperators(r);
    RegisterDedupOperator(r);
    RegisterDerivedColumnOperators(r);
    RegisterAggregateOperator(r);
    RegisterWindowOperator(r);
    RegisterJoinOperator(r);
    RegisterFilterOperator(r);
    return r;
  }();
  return *registry;
}

void OperatorRegistry::Register(std::string name, OperatorFactory factory) {
  factories_.emplace_back(std::move(name), std::move(factory));
}

const OperatorFactory* OperatorRegistry::Find(std::string_view name) const {
  for (const auto& [n, f] : factories_) {
    if (n == name) return &f;
  }
  return nullptr;
}

std::vector<std::string> OperatorRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [n, _] : factories_) names.push_back(n);
  return names;
}

}  // namespace pinstream
