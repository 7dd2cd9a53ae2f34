#include "sinks/key_encoding.h"

#include <cstring>

#include "common/coding.h"

namespace pinstream {

namespace {

// Tags start at 1 so that 0x00 can terminate arrays; their order puts nulls first.
enum KeyTag : char {
  kTagNull = 0x01,
  kTagBool = 0x02,
  kTagInt = 0x03,
  kTagDouble = 0x04,
  kTagString = 0x05,
  kTagTimestamp = 0x06,
  kTagArray = 0x07,
};

constexpr uint64_t kSignBit = uint64_t{1} << 63;

void PutOrderedInt(std::string* out, int64_t v) {
  PutFixed64BE(out, static_cast<uint64_t>(v) ^ kSignBit);
}

}  // namespace

void EncodeKeyValue(const Value& v, std::string* out) {
  switch (v.type()) {
    case Type::kNull:
      out->push_back(kTagNull);
      return;
    case Type::kBool:
      out->push_back(kTagBool);
      out->push_back(v.as_bool() ? 1 : 0);
      return;
    case Type::kInt:
      out->push_back(kTagInt);
      PutOrderedInt(out, v.as_int());
      return;
    case Type::kDouble: {
      out->push_back(kTagDouble);
      double d = v.as_double();
      if (d == 0) d = 0;  // -0.0 == 0.0: one key
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof(bits));
      PutFixed64BE(out, (bits & kSignBit) ? ~bits : bits | kSignBit);
      return;
    }
    case Type::kString: {
      out->push_back(kTagString);
      const std::string& s = v.as_string();
      size_t start = 0;
      for (size_t zero = s.find('\0'); zero != std::string::npos; zero = s.find('\0', start)) {
        out->append(s, start, zero - start);
        out->push_back('\0');
        out->push_back('\xff');
        start = zero + 1;
      }
      out->append(s, start, std::string::npos);
      out->push_back('\0');
      out->push_back('\x01');
      return;
    }
    case Type::kTimestamp:
      out->push_back(kTagTimestamp);
      PutOrderedInt(out, v.as_timestamp_ms());
      return;
    case Type::kArray:
      out->push_back(kTagArray);
      for (const auto& e : v.as_array()) EncodeKeyValue(e, out);
      out->push_back('\0');
      return;
  }
}

}  // namespace pinstream
