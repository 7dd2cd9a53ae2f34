// Kinesis's JSON API (stream/kinesis_api.h) as the HTTP gateway calls it: the first line of the
// input is the action (X-Amz-Target's part after the dot), the rest the request body, parsed as
// the gateway parses it. The store (fuzz_store.h) is shared by the inputs, so a stream one input
// creates or fills another may read. Call must answer every input with a response or a Status,
// and the response must serialize as the gateway writes it.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/json_dump.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_store.h"
#include "stream/kinesis_api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pinstream;
  static const KinesisApi api(fuzz::FuzzStore());

  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t eol = input.find('\n');
  const std::string_view action = input.substr(0, eol);
  const std::string_view body = eol == std::string_view::npos ? "" : input.substr(eol + 1);

  // The gateway's ParseObject: an empty body is {}, anything but an object is refused there.
  nlohmann::json request = nlohmann::json::object();
  if (!body.empty()) {
    request = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!request.is_object()) return 0;
  }
  auto response = api.Call(action, request);
  if (response.ok()) {
    FUZZ_CHECK(response->is_object());
    (void)DumpJson(*response);
  } else {
    FUZZ_CHECK(!response.status().ok());
  }
  return 0;
}
