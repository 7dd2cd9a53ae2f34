#include "stream/kafka_proxy_route.h"

#include <cstdio>
#include <optional>
#include <vector>

#include "common/base64.h"
#include "common/hash_key.h"
#include "stream/gateway_reply.h"
#include "stream/json_body.h"
#include "stream/stream_types.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

constexpr char kKafkaJsonType[] = "application/vnd.kafka.json.v2+json";
constexpr char kKafkaBinaryType[] = "application/vnd.kafka.binary.v2+json";

void ReplyKafkaError(const HttpError& e, HttpResponse* res) {
  ReplyError(GatewayDialect::kKafka, e, res);
}

// Lower-case hex of a 128-bit value: the MD5 digest as text when `h` is PartitionKeyHash(x).
std::string Hex128(HashKey h) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(h >> 64),
                static_cast<unsigned long long>(h));
  return std::string(buf, 32);
}

// One Kafka record turned into a stream entry; `data` and `key` own the bytes a PutEntry views.
struct KafkaEntry {
  std::string data;
  std::string key;
  std::optional<std::string> explicit_hash_key;
  PutResult result;
};

// A member of `object` that is present and not null, or nullopt.
std::optional<simdjson::dom::element> FindSet(simdjson::dom::object object, std::string_view key) {
  simdjson::dom::element e;
  if (object.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  return e;
}

// Fills `e` from a record of a json (values as JSON text) or binary (values base64) request.
Status DecodeKafkaRecord(simdjson::dom::element r, bool binary, const StreamDescription& stream,
                         KafkaEntry* e) {
  simdjson::dom::object record;
  if (r.get_object().get(record) != simdjson::SUCCESS) {
    return Status::InvalidArgument("each record must be an object");
  }
  auto value = FindSet(record, "value");
  std::string_view text;
  if (binary) {
    if (value) {
      if (value->get_string().get(text) != simdjson::SUCCESS) {
        return Status::InvalidArgument("value must be a base64 string");
      }
      ASSIGN_OR_RETURN(e->data, Base64Decode(text));
    }
  } else {
    e->data = value ? JsonText(*value) : "null";
  }
  if (auto key = FindSet(record, "key")) {
    if (binary) {
      if (key->get_string().get(text) != simdjson::SUCCESS) {
        return Status::InvalidArgument("key must be a base64 string");
      }
      // Decoded and encoded again: the canonical text of the bytes (see the header).
      ASSIGN_OR_RETURN(std::string bytes, Base64Decode(text));
      e->key = Base64Encode(bytes);
    } else {
      e->key =
          key->get_string().get(text) == simdjson::SUCCESS ? std::string(text) : JsonText(*key);
    }
  } else {
    // Kafka's producer spreads keyless records; a stable hash of the value keeps replays alike.
    e->key = Hex128(PartitionKeyHash(e->data));
  }
  if (auto p = FindSet(record, "partition")) {
    int64_t partition = -1;
    if (p->get_int64().get(partition) != simdjson::SUCCESS || partition < 0 ||
        partition >= static_cast<int64_t>(stream.shards.size())) {
      return Status::ResourceNotFound("partition " + JsonText(*p) + " not found in topic '" +
                                      stream.name + "'");
    }
    e->explicit_hash_key =
        HashKeyToString(stream.shards[static_cast<size_t>(partition)].starting_hash_key);
  }
  return Status::OK();
}

// Kafka's per-record error codes: 1 can not succeed as sent, 2 may succeed on a retry.
int KafkaRecordErrorCode(const Status& s) {
  switch (s.code()) {
    case Status::Code::kProvisionedThroughputExceeded:
    case Status::Code::kLimitExceeded:
    case Status::Code::kUnavailable:
    case Status::Code::kIOError:
      return 2;
    default:
      return 1;
  }
}

// Appends the entries in batches within PutRecords' limits, each entry getting its result.
void PutInBatches(StreamStore* store, const std::string& topic, std::vector<KafkaEntry>* entries) {
  std::vector<PutEntry> batch;
  std::vector<PutResult> results;
  size_t first = 0;
  while (first < entries->size()) {
    batch.clear();
    size_t bytes = 0;
    size_t end = first;
    while (end < entries->size() && batch.size() < kMaxPutRecordsEntries) {
      const KafkaEntry& e = (*entries)[end];
      const size_t size = e.data.size() + e.key.size();
      if (!batch.empty() && bytes + size > kMaxPutRecordsBytes) break;
      PutEntry put{e.key, e.data, std::nullopt};
      if (e.explicit_hash_key) put.explicit_hash_key = *e.explicit_hash_key;
      batch.push_back(put);
      bytes += size;
      ++end;
    }
    Status s = store->PutRecords(topic, batch, &results);
    for (size_t i = first; i < end; ++i) {
      (*entries)[i].result = s.ok() ? std::move(results[i - first]) : PutResult{s, {}};
    }
    first = end;
  }
}

}  // namespace

void KafkaProxyRoute::Produce(const HttpRequest& req, const std::string& topic,
                              HttpResponse* res) const {
  const std::string type = MediaTypeOf(req);
  const bool binary = type == kKafkaBinaryType;
  if (!binary && type != kKafkaJsonType && type != kKafkaV2Type && type != kJsonType) {
    ReplyKafkaError({415, "",
                     "unsupported Content-Type '" + type + "'; use " + kKafkaJsonType + " or " +
                         kKafkaBinaryType,
                     0},
                    res);
    return;
  }
  JsonBody body;
  if (Status s = body.Parse(req); !s.ok()) {
    // Confluent's body has no error type: the message names it.
    ReplyKafkaError({400, "SerializationException", "SerializationException: " + s.message(), 0},
                    res);
    return;
  }
  simdjson::dom::object object;
  simdjson::dom::array records;
  if (body.root().get_object().get(object) != simdjson::SUCCESS ||
      object.at_key("records").get_array().get(records) != simdjson::SUCCESS ||
      records.size() == 0) {
    ReplyKafkaError({422, "", "the body must be {\"records\":[...]} with at least one record", 1},
                    res);
    return;
  }
  auto stream = store_->DescribeStream(topic);
  if (!stream.ok()) {
    if (stream.status().code() == Status::Code::kResourceNotFound) {
      ReplyKafkaError({404, "", "topic '" + topic + "' not found", 1}, res);
    } else {
      ReplyKafkaError(ErrorFromStatus(stream.status(), GatewayDialect::kKafka), res);
    }
    return;
  }
  std::vector<KafkaEntry> entries;
  entries.reserve(records.size());
  for (simdjson::dom::element r : records) {
    const size_t i = entries.size();
    Status s = DecodeKafkaRecord(r, binary, *stream, &entries.emplace_back());
    if (s.code() == Status::Code::kResourceNotFound) {
      ReplyKafkaError({404, "", s.message(), 2}, res);
      return;
    }
    if (!s.ok()) {
      ReplyKafkaError({422, "", "record " + std::to_string(i) + ": " + s.message(), 1}, res);
      return;
    }
  }
  PutInBatches(store_, topic, &entries);

  json offsets = json::array();
  for (const KafkaEntry& e : entries) {
    if (e.result.status.ok()) {
      offsets.push_back({{"partition", e.result.sequence_number.shard_index},
                         {"offset", e.result.sequence_number.counter},
                         {"error_code", nullptr},
                         {"error", nullptr}});
    } else {
      offsets.push_back({{"partition", nullptr},
                         {"offset", nullptr},
                         {"error_code", KafkaRecordErrorCode(e.result.status)},
                         {"error", e.result.status.ToString()}});
    }
  }
  ReplyJson(
      200,
      {{"offsets", std::move(offsets)}, {"key_schema_id", nullptr}, {"value_schema_id", nullptr}},
      kKafkaV2Type, res);
}

}  // namespace pinstream
