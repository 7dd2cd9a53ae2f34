// The broker's request handler (stream/request_handler.h) as a worker calls it, on frames a
// hostile DEALER may send, over a real StreamStore (fuzz_store.h) that inputs share. Handle
// promises never to throw and to answer every request with a header echoing its request id.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_frames.h"
#include "fuzz/fuzz_store.h"
#include "stream/request_handler.h"
#include "stream/wire_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pinstream;
  static const RequestHandler handler(fuzz::FuzzStore());

  const auto frames = fuzz::SplitFrames({reinterpret_cast<const char*>(data), size});
  std::vector<zmq::message_t> request;
  for (std::string_view f : frames) request.emplace_back(f.data(), f.size());
  // Iterators are signed with the store's secret, which no seed can know: a GetRecords with an
  // empty target reads kFuzzStream's shard 0 from its trim horizon, so that the fuzzer reaches
  // the read path and the records encoder.
  if (request.size() == 3 && request[1].size() == 0) {
    if (auto sent = WireHeader::Decode(frames[0]); sent.ok() && sent->op == Op::kGetRecords) {
      auto it = fuzz::FuzzStore()->GetShardIterator(fuzz::kFuzzStream, ShardIdFromIndex(0), {});
      FUZZ_CHECK(it.ok());
      request[1] = zmq::message_t(it->data(), it->size());
    }
  }

  std::vector<zmq::message_t> reply = handler.Handle(request);
  FUZZ_CHECK(!reply.empty());
  auto header = WireHeader::Decode({reply[0].data<char>(), reply[0].size()});
  FUZZ_CHECK(header.ok());
  if (!frames.empty()) {
    if (auto sent = WireHeader::Decode(frames[0]); sent.ok()) {
      FUZZ_CHECK(header->request_id == sent->request_id && header->op == sent->op);
    }
  }
  return 0;
}
