#include "stream/stream_client.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>
#include <zmq_addon.hpp>

#include "stream/curve_keys.h"
#include "stream/wire_protocol.h"

namespace pinstream {

namespace {

// See Connect: longer than libzmq's command throttle (max_command_delay, 3M TSC ticks).
constexpr auto kMonitorAttachDelay = std::chrono::milliseconds(3);

// Clients of one context need distinct monitor endpoints.
std::atomic<uint64_t> monitor_counter{0};

constexpr int kHandshakeEvents =
    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

}  // namespace

StreamClient::StreamClient(zmq::socket_t socket, zmq::socket_t monitor, std::string endpoint,
                           const Options& options)
    : socket_(std::move(socket)),
      monitor_(std::move(monitor)),
      endpoint_(std::move(endpoint)),
      options_(options) {}

Result<std::unique_ptr<StreamClient>> StreamClient::Connect(zmq::context_t* ctx,
                                                            const std::string& endpoint,
                                                            const Options& options) {
  std::optional<CurveKeys> keys;
  if (!options.api_key.empty()) {
    ASSIGN_OR_RETURN(keys, DeriveCurveKeys(options.api_key));
  }
  try {
    zmq::socket_t socket(*ctx, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, 10000);
    socket.set(zmq::sockopt::rcvhwm, 10000);
    if (keys) {
      socket.set(zmq::sockopt::curve_serverkey, keys->server_public);
      socket.set(zmq::sockopt::curve_publickey, keys->client_public);
      socket.set(zmq::sockopt::curve_secretkey, keys->client_secret);
    }
    // The monitor is attached before connecting, so that no handshake goes unreported. Only a
    // keyed client watches its handshakes: a keyless one is told of a keyed broker by its
    // timeout's error (Await names the missing key).
    zmq::socket_t monitor;
    if (!keys) {
      socket.connect(endpoint);
      return std::unique_ptr<StreamClient>(
          new StreamClient(std::move(socket), std::move(monitor), endpoint, options));
    }
    const std::string monitor_endpoint =
        "inproc://stream-client-monitor-" + std::to_string(monitor_counter++);
    if (zmq_socket_monitor(socket.handle(), monitor_endpoint.c_str(), kHandshakeEvents) != 0) {
      throw zmq::error_t();
    }
    monitor = zmq::socket_t(*ctx, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(monitor_endpoint);
    // libzmq's side of the monitor attaches our connection only when it next processes its
    // commands, which it skips (throttled) within about a millisecond of the last time, at
    // its bind above; an event sent before then is dropped. A refused NULL handshake is
    // reported once and never retried, so its event must not fall into that window.
    std::this_thread::sleep_for(kMonitorAttachDelay);
    socket.connect(endpoint);
    return std::unique_ptr<StreamClient>(
        new StreamClient(std::move(socket), std::move(monitor), endpoint, options));
  } catch (const zmq::error_t& e) {
    return Status::InvalidArgument("connecting to " + endpoint + ": " + e.what());
  }
}

Status StreamClient::CheckHandshake() {
  // Sticky: after a refused handshake libzmq may stop reconnecting (a mechanism mismatch), so
  // no later event would tell a later call why nothing answers.
  if (!handshake_error_.ok()) return handshake_error_;
  if (!monitor_) return Status::OK();
  const bool keyed = !options_.api_key.empty();
  std::vector<zmq::message_t> event;
  while (zmq::recv_multipart(monitor_, std::back_inserter(event), zmq::recv_flags::dontwait)) {
    if (event.empty() || event[0].size() < 6) {
      event.clear();
      continue;
    }
    uint16_t kind = 0;
    uint32_t value = 0;
    std::memcpy(&kind, event[0].data(), sizeof(kind));
    std::memcpy(&value, event[0].data<char>() + sizeof(kind), sizeof(value));
    event.clear();
    std::string why;
    if (kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      broken_handshakes_ = 0;
      handshake_seen_ = true;
    } else if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      why = "the broker refused this client's API key (ZAP status " + std::to_string(value) + ")";
    } else if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
               value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
      why = keyed ? "this client has an API key but the broker has none"
                  : "the broker requires an API key (--api-key-file FILE or PINSTREAM_API_KEY)";
    } else if (keyed && ++broken_handshakes_ >= 2) {
      // A broker with another key cannot read the client's hello and drops the connection, again
      // on every reconnect; one broken handshake alone may be a broker restarting.
      why = "the broker did not accept this client's API key (the keys differ)";
    }
    if (!why.empty()) {
      handshake_error_ = Status::AccessDenied("broker " + endpoint_ + ": " + why);
      return handshake_error_;
    }
  }
  return Status::OK();
}

Result<uint64_t> StreamClient::Send(uint8_t op, std::string_view target, std::string&& body) {
  WireHeader header;
  header.op = static_cast<Op>(op);
  header.request_id = next_request_id_++;
  try {
    std::array<zmq::message_t, 4> frames = {zmq::message_t(), zmq::message_t(header.Encode()),
                                            zmq::message_t(target.data(), target.size()),
                                            zmq::message_t(body.data(), body.size())};
    RETURN_IF_ERROR(handshake_error_);
    if (!zmq::send_multipart(socket_, frames, zmq::send_flags::dontwait)) {
      // No connection takes requests: perhaps because the broker refused this client.
      RETURN_IF_ERROR(CheckHandshake());
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
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                               {monitor_.handle(), 0, ZMQ_POLLIN, 0}};
    RETURN_IF_ERROR(handshake_error_);
    // Monitor events that are not a refusal (a handshake that succeeded) do not end the wait.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (zmq::poll(items, monitor_ ? 2 : 1, std::max(left, std::chrono::milliseconds(0))) == 0) {
        return std::optional<Reply>();
      }
      if (items[1].revents & ZMQ_POLLIN) RETURN_IF_ERROR(CheckHandshake());
      if (items[0].revents & ZMQ_POLLIN) break;
    }
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
      // libzmq may drop the one event of a refused handshake (see Connect): without any
      // handshake seen, the likely causes are named.
      return Status::Unavailable(
          "no reply from broker " + endpoint_ + " within " +
          std::to_string(options_.timeout.count()) + " ms" +
          (handshake_seen_ ? ""
                           : " and no handshake with it succeeded: is it running, and does it "
                             "require an API key (--api-key-file FILE or PINSTREAM_API_KEY)?"));
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

namespace {

// Reads fields of a broker's reply: a reply without them is Corruption, not an exception.
template <typename F>
auto FromReply(std::string_view action, F&& read) -> Result<decltype(read())> {
  try {
    return read();
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("malformed " + std::string(action) + " reply: " + e.what());
  }
}

}  // namespace

// Both listings follow NextToken: a page holds 100 streams or 1000 shards, as AWS's do.
Result<std::vector<std::string>> StreamClient::ListStreams() {
  std::vector<std::string> names;
  nlohmann::json request = nlohmann::json::object();
  for (;;) {
    ASSIGN_OR_RETURN(nlohmann::json j, Call("ListStreams", request));
    ASSIGN_OR_RETURN(auto page, FromReply("ListStreams", [&] {
                       return j.at("StreamNames").get<std::vector<std::string>>();
                     }));
    names.insert(names.end(), page.begin(), page.end());
    auto token = j.find("NextToken");
    if (token == j.end() || !token->is_string() || page.empty()) return names;
    request = {{"NextToken", *token}};
  }
}

Result<std::vector<ShardDescription>> StreamClient::ListShards(std::string_view stream) {
  std::vector<ShardDescription> shards;
  nlohmann::json request = {{"StreamName", stream}};
  auto shard_index = [](const nlohmann::json& s, const char* field) -> std::optional<uint32_t> {
    auto it = s.find(field);
    if (it == s.end() || !it->is_string()) return std::nullopt;
    auto index = ShardIndexFromId(it->get<std::string>());
    if (!index.ok()) throw nlohmann::json::other_error::create(501, index.status().message(), &s);
    return *index;
  };
  for (;;) {
    ASSIGN_OR_RETURN(nlohmann::json j, Call("ListShards", request));
    ASSIGN_OR_RETURN(size_t added, FromReply("ListShards", [&] {
                       const auto& page = j.at("Shards");
                       for (const auto& s : page) {
                         ShardDescription d;
                         d.index = *shard_index(s, "ShardId");
                         d.parent = shard_index(s, "ParentShardId");
                         d.adjacent_parent = shard_index(s, "AdjacentParentShardId");
                         const auto& range = s.at("SequenceNumberRange");
                         if (auto end = range.find("EndingSequenceNumber"); end != range.end()) {
                           auto seq = SequenceNumber::Parse(end->get<std::string>());
                           if (seq.ok()) d.ending_counter = seq->counter;
                         }
                         const auto& keys = s.at("HashKeyRange");
                         auto start = ParseHashKey(keys.at("StartingHashKey").get<std::string>());
                         auto last = ParseHashKey(keys.at("EndingHashKey").get<std::string>());
                         if (start.ok()) d.starting_hash_key = *start;
                         if (last.ok()) d.ending_hash_key = *last;
                         shards.push_back(d);
                       }
                       return page.size();
                     }));
    auto token = j.find("NextToken");
    if (token == j.end() || !token->is_string() || added == 0) return shards;
    request = {{"NextToken", *token}};
  }
}

Result<std::vector<std::string>> StreamClient::ListShardIds(std::string_view stream) {
  ASSIGN_OR_RETURN(std::vector<ShardDescription> shards, ListShards(stream));
  std::vector<std::string> ids;
  for (const auto& s : shards) ids.push_back(ShardIdFromIndex(s.index));
  return ids;
}

Result<int64_t> StreamClient::StreamCreationTime(std::string_view stream) {
  ASSIGN_OR_RETURN(nlohmann::json j, Call("DescribeStreamSummary", {{"StreamName", stream}}));
  return FromReply("DescribeStreamSummary", [&] {
    const double seconds =
        j.at("StreamDescriptionSummary").at("StreamCreationTimestamp").get<double>();
    return static_cast<int64_t>(std::llround(seconds * 1000.0));
  });
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
  return FromReply("GetShardIterator", [&] { return j.at("ShardIterator").get<std::string>(); });
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

Result<uint64_t> StreamClient::SendGetRecords(std::string_view iterator, int limit, uint64_t skip) {
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
