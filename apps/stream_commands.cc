#include <iostream>
#include <sstream>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "common/base64.h"

namespace pinstream::cli {

namespace {

using json = nlohmann::json;

struct StreamFlags {
  std::string broker = kDefaultBroker;
  std::string api_key_file;
  std::string name;
  uint32_t shards = 1;
  std::string partition_key;
  std::string data;
  std::string file;
  std::string shard;
  std::string iterator = "TRIM_HORIZON";
  int limit = kMaxGetRecordsLimit;
};

Status Create(const StreamFlags& f) {
  ASSIGN_OR_RETURN(auto conn, ConnectBroker(f.broker, f.api_key_file));
  RETURN_IF_ERROR(conn->client->CreateStream(f.name, f.shards));
  PrintJson({{"StreamName", f.name}, {"ShardCount", f.shards}, {"StreamStatus", "ACTIVE"}});
  return Status::OK();
}

// ListStreams and DescribeStream page as AWS's do (100 streams, 100 shards): the commands print
// every page as one reply.
Status ListAllStreams(const StreamFlags& f) {
  ASSIGN_OR_RETURN(auto conn, ConnectBroker(f.broker, f.api_key_file));
  json all = {{"StreamNames", json::array()},
              {"HasMoreStreams", false},
              {"StreamSummaries", json::array()}};
  json request = json::object();
  for (;;) {
    ASSIGN_OR_RETURN(json page, conn->client->Call("ListStreams", request));
    for (const auto& n : page.value("StreamNames", json::array())) all["StreamNames"].push_back(n);
    for (const auto& s : page.value("StreamSummaries", json::array())) {
      all["StreamSummaries"].push_back(s);
    }
    if (!page.contains("NextToken")) break;
    request = {{"NextToken", page["NextToken"]}};
  }
  PrintJson(all);
  return Status::OK();
}

Status DescribeAllShards(const StreamFlags& f) {
  ASSIGN_OR_RETURN(auto conn, ConnectBroker(f.broker, f.api_key_file));
  json request = {{"StreamName", f.name}};
  json desc;
  for (;;) {
    ASSIGN_OR_RETURN(json page, conn->client->Call("DescribeStream", request));
    json d = page.value("StreamDescription", json::object());
    json shards = d.value("Shards", json::array());
    if (desc.is_null()) {
      desc = d;
    } else {
      for (const auto& s : shards) desc["Shards"].push_back(s);
    }
    if (!d.value("HasMoreShards", false) || shards.empty()) break;
    request["ExclusiveStartShardId"] = shards.back().value("ShardId", "");
  }
  desc["HasMoreShards"] = false;
  PrintJson(desc);
  return Status::OK();
}

Status Put(const StreamFlags& f) {
  std::string bytes = f.data;
  if (!f.file.empty()) {
    ASSIGN_OR_RETURN(bytes, ReadFile(f.file));
  }
  ASSIGN_OR_RETURN(auto conn, ConnectBroker(f.broker, f.api_key_file));
  ASSIGN_OR_RETURN(json res, conn->client->Call("PutRecord", {{"StreamName", f.name},
                                                              {"PartitionKey", f.partition_key},
                                                              {"Data", Base64Encode(bytes)}}));
  PrintJson({{"ShardId", res.at("ShardId")}, {"SequenceNumber", res.at("SequenceNumber")}});
  return Status::OK();
}

Status PutRecordsFile(const StreamFlags& f) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(f.file));
  ASSIGN_OR_RETURN(auto conn, ConnectBroker(f.broker, f.api_key_file));
  size_t total = 0, failed = 0, batches = 0, line_no = 0;
  json batch = json::array();
  std::vector<size_t> batch_lines;
  size_t batch_bytes = 0;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::OK();
    ASSIGN_OR_RETURN(
        json res, conn->client->Call("PutRecords", {{"StreamName", f.name}, {"Records", batch}}));
    ++batches;
    total += batch.size();
    failed += res.at("FailedRecordCount").get<size_t>();
    const auto& records = res.at("Records");
    for (size_t i = 0; i < records.size(); ++i) {
      if (records[i].contains("ErrorCode")) {
        std::cerr << f.file << ":" << batch_lines[i] << ": "
                  << records[i]["ErrorCode"].get<std::string>() << ": "
                  << records[i]["ErrorMessage"].get<std::string>() << "\n";
      }
    }
    batch = json::array();
    batch_lines.clear();
    batch_bytes = 0;
    return Status::OK();
  };
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json entry = json::parse(line, nullptr, false);
    if (entry.is_discarded() || !entry.is_object()) {
      return Status::InvalidArgument(f.file + ":" + std::to_string(line_no) +
                                     ": not a JSON object");
    }
    // A batch holds at most 500 entries and 5 MiB, as Kinesis allows.
    size_t bytes = line.size();
    if (batch.size() == kMaxPutRecordsEntries || batch_bytes + bytes > kMaxPutRecordsBytes) {
      RETURN_IF_ERROR(flush());
    }
    batch.push_back(std::move(entry));
    batch_lines.push_back(line_no);
    batch_bytes += bytes;
  }
  RETURN_IF_ERROR(flush());
  PrintJson({{"Records", total}, {"FailedRecordCount", failed}, {"Batches", batches}});
  if (failed > 0) {
    return Status::InvalidArgument(std::to_string(failed) + " of " + std::to_string(total) +
                                   " records failed");
  }
  return Status::OK();
}

Status Get(const StreamFlags& f) {
  ASSIGN_OR_RETURN(IteratorPosition pos, ParseIteratorPosition(f.iterator));
  ASSIGN_OR_RETURN(auto conn, ConnectBroker(f.broker, f.api_key_file));
  ASSIGN_OR_RETURN(std::string iterator, conn->client->GetShardIterator(f.name, f.shard, pos));
  ASSIGN_OR_RETURN(json res, conn->client->Call("GetRecords",
                                                {{"ShardIterator", iterator}, {"Limit", f.limit}}));
  PrintJson(res);
  return Status::OK();
}

}  // namespace

void AddStreamCommands(CLI::App& app, Action* action) {
  auto f = std::make_shared<StreamFlags>();
  auto* stream = app.add_subcommand("stream", "manage streams and their records (Kinesis actions)");
  stream->require_subcommand(1);
  auto add = [&](const char* name, const char* help) {
    auto* cmd = stream->add_subcommand(name, help);
    cmd->add_option("--broker", f->broker,
                    "broker endpoint (default: $PINSTREAM_BROKER, else this)")
        ->envname("PINSTREAM_BROKER")
        ->capture_default_str();
    AddApiKeyFileOption(cmd, &f->api_key_file);
    return cmd;
  };

  auto* create = add("create", "CreateStream");
  create->add_option("name", f->name, "stream name")->required();
  create->add_option("--shards", f->shards, "number of shards")->capture_default_str();
  create->callback([=] { *action = [f] { return Create(*f); }; });

  auto* list = add("list", "ListStreams");
  list->callback([=] { *action = [f] { return ListAllStreams(*f); }; });

  auto* describe =
      add("describe", "DescribeStream: shards, hash key ranges, sequence number ranges");
  describe->add_option("name", f->name, "stream name")->required();
  describe->callback([=] { *action = [f] { return DescribeAllShards(*f); }; });

  auto* del = add("delete", "DeleteStream");
  del->add_option("name", f->name, "stream name")->required();
  del->callback([=] {
    *action = [f] {
      ASSIGN_OR_RETURN(auto conn, ConnectBroker(f->broker, f->api_key_file));
      RETURN_IF_ERROR(conn->client->DeleteStream(f->name));
      PrintJson({{"StreamName", f->name}, {"StreamStatus", "DELETED"}});
      return Status::OK();
    };
  });

  auto* put = add("put", "PutRecord of TEXT or a file's bytes");
  put->add_option("name", f->name, "stream name")->required();
  put->add_option("--partition-key", f->partition_key, "partition key (1..256 characters)")
      ->required();
  auto* data_opt = put->add_option("--data", f->data, "record data as text");
  auto* file_opt = put->add_option("--file", f->file, "read the record data from this file");
  data_opt->excludes(file_opt);
  put->callback([=] {
    *action = [f, data_opt, file_opt] {
      if (data_opt->count() == 0 && file_opt->count() == 0) {
        return Status::InvalidArgument("give the record as --data TEXT or --file F");
      }
      return Put(*f);
    };
  });

  auto* put_records =
      add("put-records", "PutRecords from JSON Lines of {\"PartitionKey\",\"Data\":base64}");
  put_records->add_option("name", f->name, "stream name")->required();
  put_records->add_option("--file", f->file, "JSON Lines file")->required();
  put_records->callback([=] { *action = [f] { return PutRecordsFile(*f); }; });

  auto* get = add("get", "GetShardIterator + GetRecords");
  get->add_option("name", f->name, "stream name")->required();
  get->add_option("--shard", f->shard, "shard id, e.g. shardId-000000000000")->required();
  get->add_option("--iterator", f->iterator,
                  "TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER:SEQ, AFTER_SEQUENCE_NUMBER:SEQ or "
                  "AT_TIMESTAMP:ISO8601")
      ->capture_default_str();
  get->add_option("--limit", f->limit, "at most this many records (1..10000)")
      ->capture_default_str();
  get->callback([=] { *action = [f] { return Get(*f); }; });

  AddStreamControlCommands(stream, action);
  AddStreamReshardCommands(stream, action);
}

}  // namespace pinstream::cli
