#include "stream/stream_client.h"

#include <zmq_addon.hpp>

#include "stream/wire_protocol.h"

namespace pinstream {

StreamClient::StreamClient(zmq::socket_t socket, std::string endpoint, const Options& options)
    : socket_(std::move(socket)), endpoint_(std::move(endpoint)), options_(options) {}

Result<std::unique_ptr<StreamClient>> StreamClient::Connect(zmq::context_t* ctx,
                                                            const std::string& endpoint,
                                                            const Options& options) {
  try {
    zmq::socket_t socket(*ctx, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, 10000);
    socket.set(zmq::sockopt::rcvhwm, 10000);
    socket.connect(endpoint);
    return std::unique_ptr<StreamClient>(new StreamClient(std::move(socket), endpoint, options));
  } catch (const zmq::error_t& e) {
    return Status::InvalidArgument("connecting to " + endpoint + ": " + e.what());
  }
}

Result<uint64_t> StreamClient::Send(uint8_t op, std::string_view target, std::string&& body) {
  WireHeader header;
  header.op = static_cast<Op>(op);
  header.request_id = next_request_id_++;
  try {
    std::array<zmq::message_t, 4> frames = {zmq::message_t(), zmq::message_t(header.Encode()),
                                            zmq::message_t(target.data(), target.size()),
                                            zmq::message_t(body.data(), body.size())};
    if (!zmq::send_multipart(socket_, frames, zmq::send_flags::dontwait)) {
      return Status::Unavailable("broker " + endpoint_ + " is not accepting requests");
    }
  } catch (const zmq::error_t& e) {
    return Status::Unavailable(std::string("sending to broker: ") + e.what());
  }
  return header.request_id;
}

Result<std::optional<StreamClient::Reply>> StreamClient::Receive(
    std::chrono::milliseconds timeout) {
  try {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return std::optional<Reply>();
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      return std::optional<Reply>();
    }
    if (frames.size() < 3 || frames[0].size() != 0)
      return Status::Corruption("malformed reply from broker");
    ASSIGN_OR_RETURN(WireHeader header, WireHeader::Decode(std::string_view(frames[1].data<char>(),
                                                                            frames[1].size())));
    Reply reply;
    reply.request_id = header.request_id;
    if (header.code != Status::Code::kOk) {
      reply.status = Status(header.code, frames[2].to_string());
    } else {
      for (size_t i = 2; i < frames.size(); ++i) reply.frames.push_back(std::move(frames[i]));
    }
    return std::optional<Reply>(std::move(reply));
  } catch (const zmq::error_t& e) {
    return Status::Unavailable(std::string("receiving from broker: ") + e.what());
  }
}

Result<StreamClient::Reply> StreamClient::Await(uint64_t request_id) {
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Status::Unavailable("no reply from broker " + endpoint_ + " within " +
                                 std::to_string(options_.timeout.count()) + " ms");
    }
    ASSIGN_OR_RETURN(std::optional<Reply> reply, Receive(left));
    if (reply && reply->request_id == request_id) {
      RETURN_IF_ERROR(reply->status);
      return std::move(*reply);
    }
  }
}

Result<nlohmann::json> StreamClient::Call(std::string_view action, const nlohmann::json& request) {
  ASSIGN_OR_RETURN(uint64_t id, Send(static_cast<uint8_t>(Op::kJson), action, request.dump()));
  ASSIGN_OR_RETURN(Reply reply, Await(id));
  if (reply.frames.size() != 1) return Status::Corruption("malformed reply from broker");
  auto j = nlohmann::json::parse(reply.frames[0].to_string_view(), nullptr, false);
  if (j.is_discarded()) return Status::Corruption("broker replied with malformed JSON");
  return j;
}

Status StreamClient::CreateStream(std::string_view name, uint32_t shard_count) {
  return Call("CreateStream", {{"StreamName", name}, {"ShardCount", shard_count}}).status();
}

Status StreamClient::DeleteStream(std::string_view name) {
  return Call("DeleteStream", {{"StreamName", name}}).status();
}

Result<std::vector<std::string>> StreamClient::ListStreams() {
  ASSIGN_OR_RETURN(nlohmann::json j, Call("ListStreams", nlohmann::json::object()));
  return j.at("StreamNames").get<std::vector<std::string>>();
}

Result<std::vector<std::string>> StreamClient::ListShardIds(std::string_view stream) {
  ASSIGN_OR_RETURN(nlohmann::json j, Call("ListShards", {{"StreamName", stream}}));
  std::vector<std::string> ids;
  for (const auto& s : j.at("Shards")) ids.push_back(s.at("ShardId").get<std::string>());
  return ids;
}

Result<std::string> StreamClient::GetShardIterator(std::string_view stream,
                                                   std::string_view shard_id,
                                                   const IteratorPosition& position) {
  nlohmann::json req = {{"StreamName", stream},
                        {"ShardId", shard_id},
                        {"ShardIteratorType", IteratorTypeName(position.type)}};
  if (position.type == IteratorType::kAtSequenceNumber ||
      position.type == IteratorType::kAfterSequenceNumber) {
    req["StartingSequenceNumber"] = position.sequence_number;
  } else if (position.type == IteratorType::kAtTimestamp) {
    req["Timestamp"] = static_cast<double>(position.timestamp_ms) / 1000.0;
  }
  ASSIGN_OR_RETURN(nlohmann::json j, Call("GetShardIterator", req));
  return j.at("ShardIterator").get<std::string>();
}

Result<uint64_t> StreamClient::SendPutRecords(std::string_view stream,
                                              std::span<const PutEntry> entries) {
  std::string body;
  size_t bytes = 16;
  for (const auto& e : entries) bytes += e.partition_key.size() + e.data.size() + 8;
  body.reserve(bytes);
  EncodePutRecordsRequest(entries, &body);
  return Send(static_cast<uint8_t>(Op::kPutRecords), stream, std::move(body));
}

Status StreamClient::PutRecords(std::string_view stream, std::span<const PutEntry> entries,
                                std::vector<PutResult>* results) {
  ASSIGN_OR_RETURN(uint64_t id, SendPutRecords(stream, entries));
  ASSIGN_OR_RETURN(Reply reply, Await(id));
  if (reply.frames.size() != 1) return Status::Corruption("malformed PutRecords reply");
  return DecodePutRecordsReply(reply.frames[0].to_string_view(), results);
}

Result<uint64_t> StreamClient::SendGetRecords(std::string_view iterator, int limit,
                                              uint64_t skip) {
  std::string body;
  EncodeGetRecordsRequest(limit, skip, &body);
  return Send(static_cast<uint8_t>(Op::kGetRecords), iterator, std::move(body));
}

Result<GetRecordsReply> StreamClient::GetRecords(std::string_view iterator, int limit) {
  ASSIGN_OR_RETURN(uint64_t id, SendGetRecords(iterator, limit));
  ASSIGN_OR_RETURN(Reply reply, Await(id));
  return DecodeGetRecordsReply(std::move(reply));
}

Result<GetRecordsReply> StreamClient::DecodeGetRecordsReply(Reply&& reply) {
  RETURN_IF_ERROR(reply.status);
  if (reply.frames.size() != 2) return Status::Corruption("malformed GetRecords reply");
  GetRecordsReply out;
  ASSIGN_OR_RETURN(out.meta, DecodeGetRecordsMeta(reply.frames[0].to_string_view()));
  out.buffer = std::move(reply.frames[1]);
  RETURN_IF_ERROR(DecodeRecords(out.buffer.to_string_view(), out.meta.shard_index, &out.records));
  return out;
}

}  // namespace pinstream
