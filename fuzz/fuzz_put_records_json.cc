// The gateway's PutRecords fast path (stream/put_records_json.h), parsed in place with the
// padding the gateway guarantees and again from an unpadded buffer (the copying path). It must
// be "only a faster way to the same request, never a second set of rules": whatever it accepts,
// nlohmann's DOM (the general path) reads as the same stream and entries.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/base64.h"
#include "fuzz/fuzz_check.h"
#include "stream/put_records_json.h"

namespace {

using namespace pinstream;

bool Within(std::string_view view, const PutRecordsJson& batch) {
  return view.empty() || (view.data() >= batch.bytes.get() &&
                          view.data() + view.size() <= batch.bytes.get() + batch.bytes_capacity);
}

// The general path's reading of the same body, entry by entry.
void CheckAgainstDom(std::string_view body, const PutRecordsJson& batch) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(j.is_object());
  FUZZ_CHECK(j.contains("StreamName") && j["StreamName"].is_string());
  FUZZ_CHECK(j["StreamName"].get<std::string>() == batch.stream);
  FUZZ_CHECK(j.contains("Records") && j["Records"].is_array());
  const auto& records = j["Records"];
  FUZZ_CHECK(records.size() == batch.entries.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    const PutEntry& e = batch.entries[i];
    FUZZ_CHECK(Within(e.partition_key, batch) && Within(e.data, batch));
    FUZZ_CHECK(r.is_object() && r.contains("PartitionKey") && r.contains("Data"));
    FUZZ_CHECK(r["PartitionKey"].is_string() &&
               r["PartitionKey"].get<std::string>() == e.partition_key);
    FUZZ_CHECK(r["Data"].is_string());
    auto data = Base64Decode(r["Data"].get<std::string>());
    FUZZ_CHECK(data.ok() && *data == e.data);
    FUZZ_CHECK(r.contains("ExplicitHashKey") == e.explicit_hash_key.has_value());
    if (e.explicit_hash_key) {
      FUZZ_CHECK(Within(*e.explicit_hash_key, batch));
      FUZZ_CHECK(r["ExplicitHashKey"].is_string() &&
                 r["ExplicitHashKey"].get<std::string>() == *e.explicit_hash_key);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The gateway's buffer: the body, then kPutRecordsJsonPadding readable bytes. Filled with
  // quotes and brackets rather than zeros, so that a parser reading them as JSON would show.
  auto padded = std::make_unique<char[]>(size + kPutRecordsJsonPadding);
  std::memcpy(padded.get(), data, size);
  std::memset(padded.get() + size, '"', kPutRecordsJsonPadding);
  const std::string_view body(padded.get(), size);

  thread_local PutRecordsJson batch;  // reused across inputs, as the gateway's thread does
  const bool in_place = DecodePutRecordsJson(body, size + kPutRecordsJsonPadding, &batch);
  if (in_place) {
    FUZZ_CHECK(!batch.entries.empty() && batch.entries.size() <= kMaxPutRecordsEntries);
    CheckAgainstDom(body, batch);
  }

  // Exactly `size` readable bytes: the decoder must copy before simdjson reads past the end.
  auto exact = std::make_unique<char[]>(size);
  std::memcpy(exact.get(), data, size);
  auto copied = DecodePutRecordsJson(std::string_view(exact.get(), size));
  FUZZ_CHECK(copied.has_value() == in_place);
  if (copied) CheckAgainstDom(body, *copied);
  return 0;
}
