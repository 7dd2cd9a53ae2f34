#include <cstdio>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "common/api_key.h"
#include "emulator/emulator.h"

namespace pinstream::cli {

namespace {

struct EmulateFlags {
  EmulatorOptions options;
  std::string timestamps = "historical";
  bool no_progress = false;
  std::string api_key_file;
};

Status RunEmulate(EmulateFlags flags) {
  if (flags.timestamps != "historical" && flags.timestamps != "live") {
    return Status::InvalidArgument("--timestamps is 'historical' or 'live', not '" +
                                   flags.timestamps + "'");
  }
  flags.options.live_timestamps = flags.timestamps == "live";
  flags.options.progress = flags.no_progress ? nullptr : stderr;
  ASSIGN_OR_RETURN(flags.options.api_key, LoadApiKey(flags.api_key_file));
  ASSIGN_OR_RETURN(EmulatorSummary summary, RunEmulator(flags.options));
  PrintJson(summary.ToJson());
  if (summary.failed() > 0) {
    return summary.first_failure.WithContext(std::to_string(summary.failed()) +
                                             " records failed; the first");
  }
  return Status::OK();
}

}  // namespace

void AddEmulateCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<EmulateFlags>();
  EmulatorOptions& o = flags->options;
  o.broker = kDefaultBroker;
  auto* cmd = app.add_subcommand(
      "emulate",
      "user posting emulation: posts as pin, geo and user records into P-pin, P-geo, P-user");
  cmd->add_option("--prefix", o.prefix, "stream name prefix P")->capture_default_str();
  cmd->add_option("--count", o.count, "posts to send (each is 3 records)")->capture_default_str();
  cmd->add_option("--rate", o.rate, "records per second, steady (default: as fast as possible)");
  cmd->add_option("--seed", o.seed, "seed of the generated posts and of the draws")
      ->capture_default_str();
  cmd->add_option("--python-seed", o.python_seed,
                  "draw posts exactly as the original script did after random.seed(N) "
                  "(default: --seed)");
  cmd->add_option("--via", o.via, "send through the HTTP gateway at http://HOST:PORT");
  cmd->add_option("--kinesis-endpoint", o.kinesis_endpoint,
                  "send through AWS's Kinesis protocol (PutRecords, SigV4 with the standard AWS "
                  "credentials) to this endpoint: http(s)://HOST[:PORT], or 'aws' for AWS's "
                  "endpoint of the region; streams missing are created");
  cmd->add_option("--region", o.region,
                  "with --kinesis-endpoint: the AWS region (default: $AWS_REGION, the profile's, "
                  "else us-east-1)");
  cmd->add_option("--timestamps", flags->timestamps,
                  "historical (2017-2022, as the original) or live (now, with up to 5 s disorder)")
      ->capture_default_str();
  cmd->add_option("--from", o.from,
                  "replay real tables from DIR: pinterest_data, geolocation_data, user_data "
                  "as .csv, .jsonl or .json");
  cmd->add_option("--max-ind", o.max_ind,
                  "draw inds with randint(0, N), as the original's 11000; a larger N gives more "
                  "distinct posts (the generated pool repeats its contents beyond 11154 rows)")
      ->capture_default_str();
  cmd->add_option("--broker", o.broker, "broker endpoint (default: $PINSTREAM_BROKER, else this)")
      ->envname("PINSTREAM_BROKER")
      ->capture_default_str();
  AddApiKeyFileOption(cmd, &flags->api_key_file);
  cmd->add_option("--shards", o.shards, "shards of streams that are created")
      ->capture_default_str();
  cmd->add_flag("--no-progress", flags->no_progress, "show no progress on stderr");
  cmd->callback([flags, action] { *action = [flags] { return RunEmulate(*flags); }; });
}

}  // namespace pinstream::cli
