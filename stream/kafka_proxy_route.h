#pragma once

#include <string>

#include "stream/http_message.h"
#include "stream/stream_store.h"

namespace pinstream {

// The Confluent Kafka REST proxy's produce call: `POST /topics/{name}` with
// `{"records":[{"value":<json>,"key":<optional>,"partition":<optional>}]}`, appended to the stream
// {name} and answered with per-record offsets (partition = shard index, offset = the record's
// counter in its shard). Errors are `{"error_code","message"}` as Confluent's proxy words them.
//
// With `application/vnd.kafka.json.v2+json` a value is stored as its compact JSON text (keys in the
// client's order) and a key as its text. With `application/vnd.kafka.binary.v2+json` values and
// keys are base64: a value is stored as its bytes, but a key is stored as the canonical base64
// text of its bytes, because a partition key is text (Kinesis keys are Unicode strings, and the
// store refuses any that is not valid UTF-8): equal key bytes still route to the same shard, and
// a reader gets the key back as text that decodes to the bytes the producer sent.
//
// Borrows the store, which must outlive the route. Thread-safe as the store is.
class KafkaProxyRoute {
 public:
  explicit KafkaProxyRoute(StreamStore* store) : store_(store) {}

  // Produces `req`'s records to `topic` (the path's percent-decoded name).
  void Produce(const HttpRequest& req, const std::string& topic, HttpResponse* res) const;

 private:
  StreamStore* const store_;
};

}  // namespace pinstream
