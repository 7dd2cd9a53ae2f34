// Load driver for Kinesis's JSON 1.1 protocol over HTTP: pinstream's gateway or any Kinesis
// endpoint (kinesalite in bench/run_gateway_bench.sh). Prints one JSON line of figures on stdout.
//
//   gateway_bench create --url http://127.0.0.1:8080 --stream bench-http --shards 4
//     CreateStream (after DeleteStream when it exists), then waits until it is ACTIVE.
//   gateway_bench put --url http://127.0.0.1:8080 --stream bench-http --connections 8
//       --seconds 20 --batch 500 --record-bytes 700
//     PutRecords of `batch` records with base64 data from `connections` threads, each on its own
//     keep-alive connection with one request at a time; records/s, MB/s, batch latency.
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "bench/latency_histogram.h"
#include "common/base64.h"
#include "common/result.h"

namespace pinstream::bench {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Flags {
  std::string url = "http://127.0.0.1:8080";
  std::string stream = "bench-http";
  std::string label;  // names the target in the output, e.g. "pinstream" or "kinesalite"
  uint32_t shards = 4;
  int connections = 8;
  double seconds = 20;
  size_t batch = 500;
  size_t record_bytes = 700;
  double timeout_seconds = 60;
};

// Headers every request carries. kinesalite insists on a well-formed SigV4 Authorization header
// (it checks the shape, not the signature); pinstream's gateway accepts it unchecked.
httplib::Headers KinesisHeaders(const std::string& action) {
  return {{"X-Amz-Target", "Kinesis_20131202." + action},
          {"X-Amz-Date", "20200101T000000Z"},
          {"Authorization",
           "AWS4-HMAC-SHA256 Credential=bench/20200101/us-east-1/kinesis/aws4_request, "
           "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00"}};
}

std::unique_ptr<httplib::Client> Connect(const std::string& url) {
  auto client = std::make_unique<httplib::Client>(url);
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(5);
  client->set_read_timeout(60);
  client->set_write_timeout(60);
  return client;
}

// One Kinesis call: the response object, or the error the endpoint (or the transport) gave.
Result<json> Call(httplib::Client& client, const std::string& action, const json& request) {
  auto r = client.Post("/", KinesisHeaders(action), request.dump(), "application/x-amz-json-1.1");
  if (!r) return Status::Unavailable(action + ": " + httplib::to_string(r.error()));
  // kinesalite answers CreateStream and DeleteStream with an empty body.
  json body =
      r->body.empty() ? json::object() : json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (r->status != 200) {
    std::string type = body.is_object() ? body.value("__type", "") : "";
    return Status(Status::CodeFromTypeName(type.substr(type.find('#') + 1)),
                  action + " answered " + std::to_string(r->status) + ": " + r->body);
  }
  if (body.is_discarded()) return Status::Corruption(action + ": reply is not JSON");
  return body;
}

Status RunCreate(const Flags& f) {
  auto client = Connect(f.url);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(f.timeout_seconds));
  // The endpoint may still be starting: retry the first call while nothing listens.
  Result<json> listed = Status::Unavailable("not tried");
  while (true) {
    listed = Call(*client, "ListStreams", json::object());
    if (listed.ok() || listed.status().code() != Status::Code::kUnavailable ||
        Clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!listed.ok()) return listed.status();
  auto wait_for = [&](auto done) -> Status {
    while (true) {
      auto d = Call(*client, "DescribeStream", {{"StreamName", f.stream}});
      if (done(d)) return Status::OK();
      if (Clock::now() > deadline) {
        return Status::Unavailable("stream " + f.stream + " did not settle: " +
                                   (d.ok() ? d->dump() : d.status().ToString()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  for (const auto& name : (*listed)["StreamNames"]) {
    if (name != f.stream) continue;
    RETURN_IF_ERROR(Call(*client, "DeleteStream", {{"StreamName", f.stream}}).status());
    RETURN_IF_ERROR(wait_for([](const Result<json>& d) {
      return !d.ok() && d.status().code() == Status::Code::kResourceNotFound;
    }));
  }
  RETURN_IF_ERROR(
      Call(*client, "CreateStream", {{"StreamName", f.stream}, {"ShardCount", f.shards}}).status());
  RETURN_IF_ERROR(wait_for([](const Result<json>& d) {
    return d.ok() && (*d)["StreamDescription"].value("StreamStatus", "") == "ACTIVE";
  }));
  std::cout << json{{"created", f.stream}, {"shards", f.shards}, {"url", f.url}}.dump()
            << std::endl;
  return Status::OK();
}

// Request bodies built once, so that the driver spends its CPU on sending, not on encoding.
std::vector<std::string> BuildBodies(const Flags& f, size_t count) {
  std::mt19937_64 rng(42);
  const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,:{}\"";
  std::vector<std::string> bodies;
  for (size_t b = 0; b < count; ++b) {
    json records = json::array();
    for (size_t i = 0; i < f.batch; ++i) {
      std::string data(f.record_bytes, ' ');
      for (auto& c : data) c = alphabet[rng() % (sizeof(alphabet) - 1)];
      records.push_back(
          {{"PartitionKey", std::to_string(rng() % 11000)}, {"Data", Base64Encode(data)}});
    }
    bodies.push_back(json{{"StreamName", f.stream}, {"Records", std::move(records)}}.dump());
  }
  return bodies;
}

// FailedRecordCount of a PutRecords reply without parsing the 500 entries after it.
int64_t FailedRecordCount(const std::string& body) {
  constexpr std::string_view kKey = "\"FailedRecordCount\"";
  auto at = body.find(kKey);
  if (at == std::string::npos) return -1;
  at += kKey.size();
  while (at < body.size() && (body[at] == ':' || body[at] == ' ')) ++at;
  return std::strtoll(body.c_str() + at, nullptr, 10);
}

Status RunPut(const Flags& f) {
  if (f.connections < 1) return Status::InvalidArgument("--connections must be at least 1");
  const std::vector<std::string> bodies = BuildBodies(f, 16);
  const httplib::Headers headers = KinesisHeaders("PutRecords");
  std::atomic<uint64_t> acked{0}, failed_records{0}, failed_batches{0};
  std::mutex mu;
  LatencyHistogram latency;
  std::string first_error;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(f.seconds));
  std::vector<std::thread> threads;
  for (int t = 0; t < f.connections; ++t) {
    threads.emplace_back([&, t] {
      auto client = Connect(f.url);
      std::vector<int64_t> mine;
      std::string error;
      for (size_t i = static_cast<size_t>(t); Clock::now() < end; ++i) {
        const auto sent = Clock::now();
        // Sent from the prebuilt body: Post(path, headers, body, ...) copies the half-megabyte
        // body into a fresh request on every call, which cost this driver more CPU than the
        // server it measures, on the same cores.
        const std::string& body = bodies[i % bodies.size()];
        auto r = client->Post(
            "/", headers, body.size(),
            [&body](size_t offset, size_t length, httplib::DataSink& sink) {
              return sink.write(body.data() + offset, length);
            },
            "application/x-amz-json-1.1");
        const auto micros =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count();
        if (!r || r->status != 200) {
          ++failed_batches;
          if (error.empty()) {
            error = r ? std::to_string(r->status) + " " + r->body.substr(0, 300)
                      : httplib::to_string(r.error());
          }
          continue;
        }
        mine.push_back(micros);
        const int64_t failed = FailedRecordCount(r->body);
        failed_records += failed < 0 ? f.batch : static_cast<uint64_t>(failed);
        acked += f.batch - (failed < 0 ? f.batch : static_cast<uint64_t>(failed));
      }
      std::lock_guard lock(mu);
      for (int64_t us : mine) latency.Add(us);
      if (first_error.empty()) first_error = error;
    });
  }
  for (auto& t : threads) t.join();
  const double secs = Seconds(Clock::now() - start);
  json out = {{"benchmark", "gateway_put_records"},
              {"target", f.label.empty() ? f.url : f.label},
              {"url", f.url},
              {"connections", f.connections},
              {"shards", f.shards},
              {"batch", f.batch},
              {"record_bytes", f.record_bytes},
              {"seconds", secs},
              {"records", acked.load()},
              {"records_per_s", static_cast<double>(acked.load()) / secs},
              {"data_mb_per_s", static_cast<double>(acked.load() * f.record_bytes) / secs / 1e6},
              {"batches", latency.count()},
              {"failed_records", failed_records.load()},
              {"failed_batches", failed_batches.load()},
              {"batch_latency_us",
               {{"p50", latency.Percentile(50)},
                {"p99", latency.Percentile(99)},
                {"max", latency.Percentile(100)}}}};
  if (!first_error.empty()) out["first_error"] = first_error;
  std::cout << out.dump() << std::endl;
  if (acked.load() == 0) return Status::Unavailable("no record was acknowledged: " + first_error);
  return Status::OK();
}

}  // namespace
}  // namespace pinstream::bench

int main(int argc, char** argv) {
  using pinstream::bench::Flags;
  CLI::App app{"Kinesis JSON-over-HTTP load driver (pinstream's gateway, kinesalite, ...)"};
  app.require_subcommand(1);
  Flags f;
  auto common = [&f](CLI::App* cmd) {
    cmd->add_option("--url", f.url, "endpoint, e.g. http://127.0.0.1:8080")->capture_default_str();
    cmd->add_option("--stream", f.stream, "stream name")->capture_default_str();
    cmd->add_option("--shards", f.shards, "shards of the stream")->capture_default_str();
  };
  auto* create = app.add_subcommand("create", "(re)create the stream and wait until it is ACTIVE");
  common(create);
  create->add_option("--timeout", f.timeout_seconds, "seconds to wait for the endpoint and stream");
  auto* put = app.add_subcommand("put", "PutRecords throughput and latency");
  common(put);
  put->add_option("--label", f.label, "name of the target in the output");
  put->add_option("--connections", f.connections, "keep-alive connections, one thread each")
      ->capture_default_str();
  put->add_option("--seconds", f.seconds, "how long to run")->capture_default_str();
  put->add_option("--batch", f.batch, "records per PutRecords")->capture_default_str();
  put->add_option("--record-bytes", f.record_bytes, "bytes of data per record")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  pinstream::Status s =
      create->parsed() ? pinstream::bench::RunCreate(f) : pinstream::bench::RunPut(f);
  if (!s.ok()) {
    std::cerr << s.ToString() << std::endl;
    return 1;
  }
  return 0;
}
