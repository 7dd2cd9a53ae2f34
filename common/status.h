#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pinstream {

// The outcome of an operation: OK, or an error code with a message. Codes a client can see
// map one to one onto Kinesis's error type names (TypeName()), so the CLI, the ZeroMQ protocol
// and the HTTP gateway all report `ResourceNotFoundException: stream 'x' not found` alike.
// OK carries no allocation; a Status is a plain value, safe to copy between threads.
class [[nodiscard]] Status {
 public:
  enum class Code : uint8_t {
    kOk = 0,
    kResourceNotFound = 1,
    kResourceInUse = 2,
    kInvalidArgument = 3,
    kExpiredIterator = 4,
    kLimitExceeded = 5,
    kProvisionedThroughputExceeded = 6,
    kIOError = 7,
    kCorruption = 8,
    kUnavailable = 9,  // the peer is gone or did not answer in time
    kInternal = 10,
    // Authentication (both doors): AWS's names, so that AWS clients recognise them.
    kAccessDenied = 11,                // a ZeroMQ client without the broker's API key
    kMissingAuthenticationToken = 12,  // a request that should be signed carries no signature
    kUnrecognizedClient = 13,          // an access key id the server does not know
    kInvalidSignature = 14,            // a wrong signature, or a stale or future request date
    kIncompleteSignature = 15,         // a malformed Authorization header
    // The processor's: records it had not read are gone (Spark's failOnDataLoss).
    kDataLoss = 16,
    // AWS's request validation: a member of the wrong JSON type, then constraints broken.
    kSerialization = 17,
    kValidation = 18,
  };
  static constexpr uint8_t kMaxCode = 18;

  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status ResourceNotFound(std::string_view msg) {
    return Make(Code::kResourceNotFound, msg);
  }
  static Status ResourceInUse(std::string_view msg) { return Make(Code::kResourceInUse, msg); }
  static Status InvalidArgument(std::string_view msg) { return Make(Code::kInvalidArgument, msg); }
  static Status ExpiredIterator(std::string_view msg) { return Make(Code::kExpiredIterator, msg); }
  static Status LimitExceeded(std::string_view msg) { return Make(Code::kLimitExceeded, msg); }
  static Status ProvisionedThroughputExceeded(std::string_view msg) {
    return Make(Code::kProvisionedThroughputExceeded, msg);
  }
  static Status IOError(std::string_view msg) { return Make(Code::kIOError, msg); }
  static Status Corruption(std::string_view msg) { return Make(Code::kCorruption, msg); }
  static Status Unavailable(std::string_view msg) { return Make(Code::kUnavailable, msg); }
  static Status Internal(std::string_view msg) { return Make(Code::kInternal, msg); }
  static Status AccessDenied(std::string_view msg) { return Make(Code::kAccessDenied, msg); }
  static Status MissingAuthenticationToken(std::string_view msg) {
    return Make(Code::kMissingAuthenticationToken, msg);
  }
  static Status UnrecognizedClient(std::string_view msg) {
    return Make(Code::kUnrecognizedClient, msg);
  }
  static Status InvalidSignature(std::string_view msg) {
    return Make(Code::kInvalidSignature, msg);
  }
  static Status IncompleteSignature(std::string_view msg) {
    return Make(Code::kIncompleteSignature, msg);
  }
  static Status DataLoss(std::string_view msg) { return Make(Code::kDataLoss, msg); }
  static Status Serialization(std::string_view msg) { return Make(Code::kSerialization, msg); }
  static Status Validation(std::string_view msg) { return Make(Code::kValidation, msg); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Kinesis's name for the error type, e.g. "ResourceNotFoundException"; "OK" when ok().
  std::string_view TypeName() const { return TypeName(code_); }
  static std::string_view TypeName(Code code);
  // The code whose TypeName() is `name`; kInternal when there is none.
  static Code CodeFromTypeName(std::string_view name);

  // "TypeName: message", or "OK".
  std::string ToString() const;

  // Prefixes the message with context, keeping the code: "reading shard 3: <message>".
  Status WithContext(std::string_view context) const;

  bool operator==(const Status& other) const = default;

 private:
  static Status Make(Code code, std::string_view msg) { return Status(code, std::string(msg)); }

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace pinstream

#define PINSTREAM_CONCAT_INNER(a, b) a##b
#define PINSTREAM_CONCAT(a, b) PINSTREAM_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)         \
  do {                                \
    ::pinstream::Status _st = (expr); \
    if (!_st.ok()) [[unlikely]]       \
      return _st;                     \
  } while (0)
