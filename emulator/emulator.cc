#include "emulator/emulator.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>
#include <unordered_map>

#include "common/json_dump.h"
#include "emulator/broker_sink.h"
#include "emulator/http_sink.h"
#include "emulator/kinesis_sink.h"
#include "emulator/post_generator.h"
#include "emulator/progress_reporter.h"
#include "emulator/python_random.h"
#include "emulator/table_source.h"
#include "emulator/token_bucket.h"

namespace pinstream {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::array<const char*, 3> kKinds = {"pin", "geo", "user"};
// At a paced rate, records wait in the producers' batches at most this long.
constexpr auto kLinger = std::chrono::milliseconds(100);

int64_t MicrosSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count();
}

std::string Dump(const JsonRow& row) {
  // Replace rather than throw on invalid UTF-8 from a dump.
  return DumpJson(row);
}

// A post's rows as JSON text, kept since draws repeat; the geo row stays a JsonRow when its
// timestamp is restamped per send.
struct CachedPost {
  std::array<std::optional<std::string>, 3> text;
  std::optional<JsonRow> geo;
};

Status Validate(const EmulatorOptions& o) {
  if (o.count < 0) return Status::InvalidArgument("--count must be >= 0");
  if (o.rate < 0) return Status::InvalidArgument("--rate must be >= 0 records/s");
  if (o.shards < 1) return Status::InvalidArgument("--shards must be >= 1");
  if (o.max_ind < 0) return Status::InvalidArgument("the largest drawn ind must be >= 0");
  if (o.live_disorder_ms < 0) return Status::InvalidArgument("disorder must be >= 0 ms");
  return Status::OK();
}

}  // namespace

uint64_t EmulatorSummary::records() const {
  uint64_t n = 0;
  for (const auto& s : streams) n += s.records;
  return n;
}

uint64_t EmulatorSummary::failed() const {
  uint64_t n = 0;
  for (const auto& s : streams) n += s.failed;
  return n;
}

nlohmann::json EmulatorSummary::ToJson() const {
  uint64_t skipped = 0;
  nlohmann::json per_stream = nlohmann::json::object();
  for (const auto& s : streams) {
    per_stream[s.stream] = {{"records", s.records}, {"failed", s.failed}, {"skipped", s.skipped}};
    skipped += s.skipped;
  }
  const auto rounded = [](double v) { return static_cast<double>(std::llround(v * 1000)) / 1000; };
  return {{"posts", posts},
          {"distinct_posts", distinct_posts},
          {"records", records()},
          {"failed", failed()},
          {"skipped", skipped},
          {"streams", std::move(per_stream)},
          {"seconds", rounded(seconds)},
          {"records_per_second", seconds > 0 ? std::llround(records() / seconds) : 0},
          {"source", source},
          {"destination", destination}};
}

Result<EmulatorSummary> Emulate(const EmulatorOptions& options, const PostSource& source,
                                RecordSink* sink, Clock* clock) {
  RETURN_IF_ERROR(Validate(options));
  EmulatorSummary summary;
  summary.destination = sink->destination();
  std::array<std::string, 3> streams;
  for (size_t k = 0; k < kKinds.size(); ++k) {
    streams[k] = options.prefix + "-" + kKinds[k];
    RETURN_IF_ERROR(sink->EnsureStream(streams[k], options.shards));
    summary.streams.push_back({streams[k], 0, 0, 0});
  }

  PythonRandom draws(options.python_seed.value_or(options.seed));
  PythonRandom disorder(options.seed);
  std::unordered_map<int64_t, CachedPost> cache;
  std::optional<TokenBucket> bucket;
  const auto start = SteadyClock::now();
  // A twentieth of a second's worth of burst smooths over the sleeps' jitter.
  if (options.rate > 0) bucket.emplace(options.rate, options.rate / 20, 0);
  auto last_flush = start;
  std::optional<ProgressReporter> progress;
  if (options.progress != nullptr) {
    ProgressReporter::Options po;
    po.terminal = isatty(fileno(options.progress)) != 0;
    progress.emplace(options.progress, options.count, po, 0);
  }
  uint64_t sent = 0;

  for (int64_t post = 0; post < options.count; ++post) {
    draws.RandRange(0, 2);  // the original slept randrange(0, 2) seconds here
    const int64_t ind = draws.RandInt(0, options.max_ind);
    auto [it, fresh] = cache.try_emplace(ind);
    CachedPost& cached = it->second;
    if (fresh) {
      PostRows rows = source.Rows(ind);
      if (rows.pin) cached.text[0] = Dump(*rows.pin);
      if (rows.geo) {
        if (options.live_timestamps) {
          cached.geo = std::move(rows.geo);
        } else {
          cached.text[1] = Dump(*rows.geo);
        }
      }
      if (rows.user) cached.text[2] = Dump(*rows.user);
    }
    const std::string key = std::to_string(ind);
    for (size_t k = 0; k < kKinds.size(); ++k) {
      if (!cached.text[k] && !(k == 1 && cached.geo)) {
        ++summary.streams[k].skipped;
        continue;
      }
      if (bucket) {
        const int64_t now_us = MicrosSince(start);
        const int64_t wait_us = bucket->Take(now_us);
        if (wait_us > 0) {
          // Send what waits in the batches before idling, so that records do not linger.
          if (SteadyClock::now() - last_flush >= kLinger) {
            RETURN_IF_ERROR(sink->Flush());
            last_flush = SteadyClock::now();
          }
          std::this_thread::sleep_until(start + std::chrono::microseconds(now_us + wait_us));
        }
      }
      if (k == 1 && cached.geo) {
        // Stamped as it leaves, up to live_disorder_ms in the past: events arrive out of order.
        const int64_t ms = clock->NowMillis() - disorder.RandRange(0, options.live_disorder_ms + 1);
        (*cached.geo)["timestamp"] = FormatSqlDatetime(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        cached.text[1] = Dump(*cached.geo);
      }
      RETURN_IF_ERROR(sink->Put(streams[k], key, *cached.text[k]));
      ++sent;
    }
    if (progress) progress->Update(post + 1, static_cast<int64_t>(sent), MicrosSince(start) / 1000);
  }
  RETURN_IF_ERROR(sink->Flush());
  summary.posts = options.count;
  summary.distinct_posts = static_cast<int64_t>(cache.size());
  summary.seconds = static_cast<double>(MicrosSince(start)) / 1e6;
  if (progress)
    progress->Finish(options.count, static_cast<int64_t>(sent), MicrosSince(start) / 1000);
  for (size_t k = 0; k < kKinds.size(); ++k) {
    const RecordSink::Counts c = sink->counts(streams[k]);
    summary.streams[k].records = c.acked;
    summary.streams[k].failed = c.failed;
  }
  summary.first_failure = sink->first_failure();
  return summary;
}

Result<EmulatorSummary> RunEmulator(const EmulatorOptions& options) {
  RETURN_IF_ERROR(Validate(options));
  std::unique_ptr<PostSource> source;
  std::string source_name;
  if (!options.from.empty()) {
    ASSIGN_OR_RETURN(auto tables, TableSource::Open(options.from));
    spdlog::info("emulate: loaded from={} pin_rows={} geo_rows={} user_rows={}", options.from,
                 tables->pin_rows(), tables->geo_rows(), tables->user_rows());
    source = std::move(tables);
    source_name = options.from;
  } else {
    source = std::make_unique<PostGenerator>(PostGenerator::Options{.seed = options.seed});
    source_name = "generated";
  }
  std::unique_ptr<RecordSink> sink;
  if (!options.via.empty() && !options.kinesis_endpoint.empty()) {
    return Status::InvalidArgument("--via and --kinesis-endpoint are two destinations: pick one");
  }
  if (!options.kinesis_endpoint.empty()) {
    const std::string endpoint = options.kinesis_endpoint == "aws" ? "" : options.kinesis_endpoint;
    ASSIGN_OR_RETURN(AwsConfig aws,
                     ResolveAwsConfig(AwsConfigRequest{"kinesis", endpoint, options.region, ""}));
    ASSIGN_OR_RETURN(sink, KinesisSink::Connect(std::move(aws)));
  } else if (!options.via.empty()) {
    HttpSink::Options http;
    http.api_key = options.api_key;
    ASSIGN_OR_RETURN(sink, HttpSink::Connect(options.via, http));
  } else {
    StreamClient::Options client;
    client.api_key = options.api_key;
    ASSIGN_OR_RETURN(sink, BrokerSink::Connect(options.broker, client));
  }
  ASSIGN_OR_RETURN(EmulatorSummary summary, Emulate(options, *source, sink.get(), Clock::Real()));
  summary.source = source_name;
  return summary;
}

}  // namespace pinstream
