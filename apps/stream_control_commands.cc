// `pinstream stream tag|untag|tags|retention|encryption|monitoring|mode|limits|consumers`: the
// Kinesis control plane (issue 15), each a Kinesis action (or two) sent to the broker as JSON.
#include <algorithm>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "stream/kinesis_arn.h"

namespace pinstream::cli {

namespace {

using json = nlohmann::json;

struct ControlFlags {
  std::string broker = kDefaultBroker;
  std::string api_key_file;
  std::string name;
  std::vector<std::string> args;  // KEY=VALUE tags, tag keys or metric names
  std::string consumer;
  std::string mode;
  std::string kms_key;
  bool off = false;
  bool enable = false;
  bool disable = false;
  int64_t hours = 0;
};

// Runs `body` with a connection to the flags' broker.
template <typename F>
Status WithBroker(const ControlFlags& f, F&& body) {
  ASSIGN_OR_RETURN(auto conn, ConnectBroker(f.broker, f.api_key_file));
  return body(*conn->client);
}

Result<json> AllTags(StreamClient& client, const std::string& name) {
  json tags = json::array();
  json request = {{"StreamName", name}};
  for (;;) {
    ASSIGN_OR_RETURN(json page, client.Call("ListTagsForStream", request));
    for (const auto& t : page.value("Tags", json::array())) tags.push_back(t);
    if (!page.value("HasMoreTags", false) || tags.empty()) return tags;
    request["ExclusiveStartTagKey"] = tags.back().at("Key");
  }
}

Status Tag(const ControlFlags& f) {
  json tags = json::object();
  for (const auto& kv : f.args) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) return Status::InvalidArgument("a tag is KEY=VALUE, not " + kv);
    tags[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return WithBroker(f, [&](StreamClient& c) -> Status {
    RETURN_IF_ERROR(c.Call("AddTagsToStream", {{"StreamName", f.name}, {"Tags", tags}}).status());
    ASSIGN_OR_RETURN(json all, AllTags(c, f.name));
    PrintJson({{"StreamName", f.name}, {"Tags", all}});
    return Status::OK();
  });
}

Status Untag(const ControlFlags& f) {
  return WithBroker(f, [&](StreamClient& c) -> Status {
    RETURN_IF_ERROR(
        c.Call("RemoveTagsFromStream", {{"StreamName", f.name}, {"TagKeys", f.args}}).status());
    ASSIGN_OR_RETURN(json all, AllTags(c, f.name));
    PrintJson({{"StreamName", f.name}, {"Tags", all}});
    return Status::OK();
  });
}

Status Tags(const ControlFlags& f) {
  return WithBroker(f, [&](StreamClient& c) -> Status {
    ASSIGN_OR_RETURN(json all, AllTags(c, f.name));
    PrintJson({{"StreamName", f.name}, {"Tags", all}});
    return Status::OK();
  });
}

// One command for both directions: the current period picks Increase or Decrease.
Status Retention(const ControlFlags& f) {
  return WithBroker(f, [&](StreamClient& c) -> Status {
    ASSIGN_OR_RETURN(json d, c.Call("DescribeStreamSummary", {{"StreamName", f.name}}));
    const int64_t current =
        d.at("StreamDescriptionSummary").value("RetentionPeriodHours", int64_t{0});
    const char* action =
        f.hours >= current ? "IncreaseStreamRetentionPeriod" : "DecreaseStreamRetentionPeriod";
    RETURN_IF_ERROR(
        c.Call(action, {{"StreamName", f.name}, {"RetentionPeriodHours", f.hours}}).status());
    PrintJson({{"StreamName", f.name}, {"RetentionPeriodHours", f.hours}});
    return Status::OK();
  });
}

Status Encryption(const ControlFlags& f) {
  if (f.off == !f.kms_key.empty()) {
    return Status::InvalidArgument("give either --kms-key KEY or --off");
  }
  return WithBroker(f, [&](StreamClient& c) -> Status {
    std::string key = f.kms_key;
    if (f.off) {  // StopStreamEncryption names the key it stops using
      ASSIGN_OR_RETURN(json d, c.Call("DescribeStreamSummary", {{"StreamName", f.name}}));
      key = d.at("StreamDescriptionSummary").value("KeyId", "");
      if (key.empty()) {
        PrintJson({{"StreamName", f.name}, {"EncryptionType", "NONE"}});
        return Status::OK();
      }
    }
    RETURN_IF_ERROR(c.Call(f.off ? "StopStreamEncryption" : "StartStreamEncryption",
                           {{"StreamName", f.name}, {"EncryptionType", "KMS"}, {"KeyId", key}})
                        .status());
    json out = {{"StreamName", f.name}, {"EncryptionType", f.off ? "NONE" : "KMS"}};
    if (!f.off) out["KeyId"] = key;
    PrintJson(out);
    return Status::OK();
  });
}

Status Monitoring(const ControlFlags& f, bool enable) {
  return WithBroker(f, [&](StreamClient& c) -> Status {
    ASSIGN_OR_RETURN(json r,
                     c.Call(enable ? "EnableEnhancedMonitoring" : "DisableEnhancedMonitoring",
                            {{"StreamName", f.name}, {"ShardLevelMetrics", f.args}}));
    PrintJson(r);
    return Status::OK();
  });
}

Status Mode(const ControlFlags& f) {
  return WithBroker(f, [&](StreamClient& c) -> Status {
    RETURN_IF_ERROR(c.Call("UpdateStreamMode", {{"StreamARN", StreamArn(f.name)},
                                                {"StreamModeDetails", {{"StreamMode", f.mode}}}})
                        .status());
    PrintJson({{"StreamName", f.name}, {"StreamMode", f.mode}});
    return Status::OK();
  });
}

// Prints `action`'s reply (or its member `key`).
Status Print(const ControlFlags& f, const char* action, json request, const char* key) {
  return WithBroker(f, [&](StreamClient& c) -> Status {
    ASSIGN_OR_RETURN(json r, c.Call(action, request));
    PrintJson(key ? r.at(key) : r);
    return Status::OK();
  });
}

Status ListConsumers(const ControlFlags& f) {
  return WithBroker(f, [&](StreamClient& c) -> Status {
    json consumers = json::array();
    json request = {{"StreamARN", StreamArn(f.name)}};
    for (;;) {
      ASSIGN_OR_RETURN(json page, c.Call("ListStreamConsumers", request));
      for (const auto& x : page.value("Consumers", json::array())) consumers.push_back(x);
      if (!page.contains("NextToken")) break;
      request["NextToken"] = page["NextToken"];
    }
    PrintJson({{"StreamName", f.name}, {"Consumers", consumers}});
    return Status::OK();
  });
}

}  // namespace

void AddStreamControlCommands(CLI::App* stream, Action* action) {
  auto f = std::make_shared<ControlFlags>();
  auto add = [&](CLI::App* parent, const char* name, const char* help, bool named = true) {
    auto* cmd = parent->add_subcommand(name, help);
    cmd->add_option("--broker", f->broker,
                    "broker endpoint (default: $PINSTREAM_BROKER, else this)")
        ->envname("PINSTREAM_BROKER")
        ->capture_default_str();
    AddApiKeyFileOption(cmd, &f->api_key_file);
    if (named) cmd->add_option("name", f->name, "stream name")->required();
    return cmd;
  };
  auto run = [action, f](CLI::App* cmd, std::function<Status(const ControlFlags&)> body) {
    cmd->callback([action, f, body] { *action = [f, body] { return body(*f); }; });
  };

  auto* tag = add(stream, "tag", "AddTagsToStream: set tags (at most 50 a stream)");
  tag->add_option("tags", f->args, "KEY=VALUE ...")->required();
  run(tag, Tag);
  auto* untag = add(stream, "untag", "RemoveTagsFromStream");
  untag->add_option("keys", f->args, "tag keys")->required();
  run(untag, Untag);
  run(add(stream, "tags", "ListTagsForStream (every page)"), Tags);

  auto* retention =
      add(stream, "retention", "Increase- or DecreaseStreamRetentionPeriod (24..8760 hours)");
  retention->add_option("hours", f->hours, "the new retention period in hours")->required();
  run(retention, Retention);

  auto* encryption = add(stream, "encryption",
                         "Start- or StopStreamEncryption (recorded and reported; nothing is "
                         "encrypted on one machine)");
  auto* key = encryption->add_option("--kms-key", f->kms_key, "KMS key id, ARN or alias");
  encryption->add_flag("--off", f->off, "StopStreamEncryption")->excludes(key);
  run(encryption, Encryption);

  auto* monitoring =
      add(stream, "monitoring", "Enable- or DisableEnhancedMonitoring (recorded and reported)");
  auto* enable =
      monitoring->add_flag("--enable", f->enable, "enable the metrics given (the default)");
  monitoring->add_flag("--disable", f->disable, "disable the metrics given")->excludes(enable);
  monitoring->add_option("metrics", f->args, "ShardLevelMetrics, e.g. IncomingBytes or ALL")
      ->required();
  run(monitoring, [](const ControlFlags& f) { return Monitoring(f, !f.disable); });

  auto* mode = add(stream, "mode", "UpdateStreamMode");
  mode->add_option("mode", f->mode, "PROVISIONED or ON_DEMAND")
      ->required()
      ->check(CLI::IsMember({"PROVISIONED", "ON_DEMAND"}));
  run(mode, Mode);

  auto* limits = add(stream, "limits", "DescribeLimits", /*named=*/false);
  limits->callback([action, f] {
    *action = [f] { return Print(*f, "DescribeLimits", json::object(), nullptr); };
  });

  auto* consumers = stream->add_subcommand("consumers", "enhanced fan-out consumers");
  consumers->require_subcommand(1);
  run(add(consumers, "list", "ListStreamConsumers (every page)"), ListConsumers);
  auto named_consumer = [&](const char* name, const char* help, const char* kinesis_action,
                            const char* key) {
    auto* cmd = add(consumers, name, help);
    cmd->add_option("consumer", f->consumer, "consumer name")->required();
    cmd->callback([action, f, kinesis_action, key] {
      *action = [f, kinesis_action, key] {
        return Print(*f, kinesis_action,
                     {{"StreamARN", StreamArn(f->name)}, {"ConsumerName", f->consumer}}, key);
      };
    });
  };
  named_consumer("register", "RegisterStreamConsumer", "RegisterStreamConsumer", "Consumer");
  named_consumer("describe", "DescribeStreamConsumer", "DescribeStreamConsumer",
                 "ConsumerDescription");
  named_consumer("deregister", "DeregisterStreamConsumer", "DeregisterStreamConsumer", nullptr);
}

}  // namespace pinstream::cli
