#include "stream/request_handler.h"

#include <spdlog/spdlog.h>

#include "common/json_dump.h"
#include "stream/wire_protocol.h"

namespace pinstream {

namespace {

std::string_view View(const zmq::message_t& m) { return {m.data<char>(), m.size()}; }

// Hands a string's buffer to ZeroMQ without copying it.
zmq::message_t MessageFrom(std::string&& s) {
  auto* owned = new std::string(std::move(s));
  return zmq::message_t(
      owned->data(), owned->size(),
      [](void*, void* hint) { delete static_cast<std::string*>(hint); }, owned);
}

std::vector<zmq::message_t> Reply(WireHeader header, const Status& status,
                                  std::vector<std::string> payload) {
  header.code = status.code();
  std::vector<zmq::message_t> out;
  out.emplace_back(header.Encode());
  if (!status.ok()) {
    out.emplace_back(status.message());
    return out;
  }
  for (auto& p : payload) out.push_back(MessageFrom(std::move(p)));
  return out;
}

}  // namespace

std::vector<zmq::message_t> RequestHandler::Handle(std::vector<zmq::message_t>& request) const {
  const auto start = std::chrono::steady_clock::now();
  try {
    std::vector<zmq::message_t> reply = Dispatch(request);
    if (metrics_ != nullptr) Record(request, reply, start);
    return reply;
  } catch (const std::exception& e) {
    spdlog::error("broker request failed error={}", e.what());
    WireHeader header;
    if (!request.empty()) {
      if (auto decoded = WireHeader::Decode(View(request[0])); decoded.ok()) header = *decoded;
    }
    return Reply(header, Status::Internal(std::string("internal error: ") + e.what()), {});
  }
}

std::vector<zmq::message_t> RequestHandler::Dispatch(std::vector<zmq::message_t>& request) const {
  WireHeader header;
  if (request.empty()) return Reply(header, Status::InvalidArgument("empty request"), {});
  auto decoded = WireHeader::Decode(View(request[0]));
  if (!decoded.ok()) return Reply(header, decoded.status(), {});
  header = *decoded;
  if (request.size() != 3) {
    return Reply(header, Status::InvalidArgument("a request has a header, a target and a body"),
                 {});
  }
  const std::string_view target = View(request[1]);
  const std::string_view body = View(request[2]);

  switch (header.op) {
    case Op::kJson: {
      nlohmann::json req = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
      if (req.is_discarded())
        return Reply(header, Status::InvalidArgument("request body is not JSON"), {});
      auto res = api_.Call(target, req);
      if (!res.ok()) return Reply(header, res.status(), {});
      // DumpJson replaces what is not UTF-8 (a record stored before keys were checked) rather
      // than throwing, which keeps such a record readable.
      return Reply(header, Status::OK(), {DumpJson(*res)});
    }
    case Op::kPutRecords: {
      std::vector<PutEntry> entries;
      Status s = DecodePutRecordsRequest(body, &entries);
      std::vector<PutResult> results;
      if (s.ok()) s = store_->PutRecords(target, entries, &results);
      if (!s.ok()) return Reply(header, s, {});
      std::string out;
      EncodePutRecordsReply(results, &out);
      return Reply(header, Status::OK(), {std::move(out)});
    }
    case Op::kGetRecords: {
      auto get = DecodeGetRecordsRequest(body);
      if (!get.ok()) return Reply(header, get.status(), {});
      std::string records;
      auto meta = store_->GetRecords(
          target, get->limit, [&](const RecordView& r) { AppendRecord(r, &records); }, get->skip);
      if (!meta.ok()) return Reply(header, meta.status(), {});
      std::string meta_bytes;
      EncodeGetRecordsMeta(*meta, &meta_bytes);
      return Reply(header, Status::OK(), {std::move(meta_bytes), std::move(records)});
    }
  }
  return Reply(header, Status::InvalidArgument("unknown operation"), {});
}

// The action and outcome come back out of the frames, so that Dispatch's many early replies
// need no bookkeeping of their own.
void RequestHandler::Record(const std::vector<zmq::message_t>& request,
                            const std::vector<zmq::message_t>& reply,
                            std::chrono::steady_clock::time_point start) const {
  std::string_view action = "unknown";
  if (request.size() == 3) {
    if (auto header = WireHeader::Decode(View(request[0])); header.ok()) {
      if (header->op == Op::kPutRecords) action = "PutRecords";
      if (header->op == Op::kGetRecords) action = "GetRecords";
      if (header->op == Op::kJson && KinesisApi::HasAction(View(request[1]))) {
        action = View(request[1]);
      }
    }
  }
  std::string_view error;
  if (!reply.empty()) {
    if (auto header = WireHeader::Decode(View(reply[0])); header.ok()) {
      if (header->code != Status::Code::kOk) error = Status::TypeName(header->code);
    }
  }
  metrics_->Record("zmq", action, error, std::chrono::steady_clock::now() - start);
}

}  // namespace pinstream
