#include "stream/cbor_body.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/base64.h"
#include "common/json_limits.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

// nlohmann's DOM builder behind a gate: it refuses, before the reader recurses into them, maps
// and arrays past the depth limit or declaring more items than the body has bytes left.
class BoundedCborSax {
 public:
  BoundedCborSax(json* root, size_t body_size)
      : dom_(*root, /*allow_exceptions=*/false), body_size_(body_size) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool start_object(size_t n) { return Enter(n) && dom_.start_object(n); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(size_t n) { return Enter(n) && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(size_t position, const std::string& token, const json::exception& e) {
    return dom_.parse_error(position, token, e);
  }

  bool refused() const { return refused_; }

 private:
  // `n` is the declared count, or -1 (as size_t) for an indefinite length.
  bool Enter(size_t n) {
    if (++depth_ > kMaxJsonDepth || (n != static_cast<size_t>(-1) && n > body_size_)) {
      refused_ = true;
      return false;
    }
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  const size_t body_size_;
  size_t depth_ = 0;
  bool refused_ = false;
};

// `body` without its tags (CBOR major type 6), or nullopt when it has none. nlohmann 3.11's reader
// refuses tags 0 to 5 even when told to ignore tags, and tag 1 (an epoch time) is how the Java
// SDKs mark every timestamp. A linear walk over the items' heads, no recursion: only strings
// carry payload bytes to skip. InvalidArgument for a head CBOR does not define or a string that
// runs past the end.
Result<std::optional<std::string>> StripCborTags(std::string_view body) {
  std::optional<std::string> out;
  size_t copied = 0;  // bytes of `body` before this offset are in `out` already (when it is set)
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t head = pos;
    const auto initial = static_cast<uint8_t>(body[pos++]);
    const int major = initial >> 5;
    const int info = initial & 0x1f;
    uint64_t argument = static_cast<uint64_t>(info);
    if (info >= 24 && info <= 27) {
      const size_t n = size_t{1} << (info - 24);
      if (body.size() - pos < n) return Status::InvalidArgument("truncated CBOR");
      argument = 0;
      for (size_t i = 0; i < n; ++i) argument = (argument << 8) | static_cast<uint8_t>(body[pos++]);
    } else if (info >= 28 && info <= 30) {
      return Status::InvalidArgument("reserved CBOR additional information");
    }
    // info 31 is an indefinite length (strings, arrays, maps) or the break (major 7): no payload.
    if ((major == 2 || major == 3) && info != 31) {
      if (argument > body.size() - pos) return Status::InvalidArgument("truncated CBOR string");
      pos += static_cast<size_t>(argument);
    } else if (major == 6) {
      if (!out) out.emplace();
      out->append(body.substr(copied, head - copied));
      copied = pos;
    }
  }
  if (out) out->append(body.substr(copied));
  return out;
}

bool IsTimestampMember(const std::string& key) {
  static constexpr std::string_view kSuffix = "Timestamp";
  return key.size() >= kSuffix.size() &&
         std::string_view(key).substr(key.size() - kSuffix.size()) == kSuffix;
}

// Request side: byte strings to base64, timestamp milliseconds to seconds. Recursive: the
// decoder's depth limit bounds it.
void FromCborShapes(json* v) {
  if (v->is_binary()) {
    const auto& bytes = v->get_binary();
    *v = Base64Encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } else if (v->is_object()) {
    for (auto& [key, member] : v->items()) {
      if (IsTimestampMember(key) && member.is_number()) {
        member = member.get<double>() / 1000.0;
      } else {
        FromCborShapes(&member);
      }
    }
  } else if (v->is_array()) {
    for (json& e : *v) FromCborShapes(&e);
  }
}

// Reply side: `Data` base64 to bytes, timestamp seconds to integer milliseconds.
void ToCborShapes(json* v) {
  if (v->is_object()) {
    for (auto& [key, member] : v->items()) {
      if (key == "Data" && member.is_string()) {
        auto bytes = Base64Decode(member.get_ref<const std::string&>());
        // KinesisApi writes Data as base64 only; anything else goes out as it is.
        if (bytes.ok()) member = json::binary(std::vector<uint8_t>(bytes->begin(), bytes->end()));
      } else if (IsTimestampMember(key) && member.is_number()) {
        member = static_cast<int64_t>(std::llround(member.get<double>() * 1000.0));
      } else {
        ToCborShapes(&member);
      }
    }
  } else if (v->is_array()) {
    for (json& e : *v) ToCborShapes(&e);
  }
}

}  // namespace

Result<json> DecodeCborRequest(std::string_view body) {
  ASSIGN_OR_RETURN(std::optional<std::string> untagged, StripCborTags(body));
  if (untagged) body = *untagged;
  json root;
  BoundedCborSax sax(&root, body.size());
  bool ok = false;
  try {
    // json::from_cbor takes no SAX handler; the binary reader underneath it does.
    auto input = nlohmann::detail::input_adapter(body.data(), body.data() + body.size());
    nlohmann::detail::binary_reader<json, decltype(input), BoundedCborSax> reader(
        std::move(input), nlohmann::detail::input_format_t::cbor);
    ok = reader.sax_parse(nlohmann::detail::input_format_t::cbor, &sax, /*strict=*/true,
                          json::cbor_tag_handler_t::error);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("the request body is not valid CBOR: ") + e.what());
  }
  if (sax.refused()) {
    return Status::InvalidArgument("the request body's CBOR nests deeper than " +
                                   std::to_string(kMaxJsonDepth) +
                                   " levels or declares more items than it holds");
  }
  if (!ok || root.is_discarded())
    return Status::InvalidArgument("the request body is not valid CBOR");
  if (!root.is_object()) return Status::InvalidArgument("the request body must be a CBOR map");
  FromCborShapes(&root);
  return root;
}

std::string EncodeCborReply(json reply) {
  ToCborShapes(&reply);
  std::string out;
  json::to_cbor(reply, out);
  return out;
}

}  // namespace pinstream
