#include "common/status.h"

#include <array>

namespace pinstream {

namespace {

constexpr std::array<std::string_view, Status::kMaxCode + 1> kTypeNames = {
    "OK",
    "ResourceNotFoundException",
    "ResourceInUseException",
    "InvalidArgumentException",
    "ExpiredIteratorException",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
    "IOError",
    "Corruption",
    "ServiceUnavailable",
    "InternalFailure",
    "AccessDeniedException",
    "MissingAuthenticationTokenException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "DataLossException",
    "SerializationException",
    "ValidationException",
};

}  // namespace

std::string_view Status::TypeName(Code code) { return kTypeNames[static_cast<size_t>(code)]; }

Status::Code Status::CodeFromTypeName(std::string_view name) {
  for (size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<Code>(i);
  }
  return Code::kInternal;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(TypeName());
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg));
}

}  // namespace pinstream
