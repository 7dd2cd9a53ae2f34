#include "demo/demo_batch.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <stop_token>

#include "archive/archiver.h"
#include "archive/object_store.h"
#include "batch/batch_job.h"
#include "common/read_file.h"
#include "sinks/processor_store.h"
#include "sql/result_writer.h"
#include "sql/sql_engine.h"

namespace pinstream {

namespace {

// The days archived under `archive` (its dt= folders), oldest first.
std::vector<std::string> ArchivedDays(const std::string& archive) {
  std::set<std::string> days;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(archive, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && name.starts_with("dt=")) days.insert(name.substr(3));
  }
  return {days.begin(), days.end()};
}

// The JSON Lines `sql` answers to `query` over the store at `data`.
Result<std::vector<nlohmann::json>> Answer(const std::string& data, const std::string& query) {
  ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(data, /*read_only=*/true));
  ASSIGN_OR_RETURN(auto engine, SqlEngine::Open(store->tables(), SqlEngine::Options{}));
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  if (out == nullptr) return Status::IOError("open_memstream failed");
  auto writer = ResultWriter::Make(SqlFormat::kJsonLines, out);
  Status s = engine->Run(query, writer.get());
  std::fclose(out);
  const std::string text(buffer, size);
  std::free(buffer);
  RETURN_IF_ERROR(s);
  std::vector<nlohmann::json> rows;
  size_t at = 0;
  while (at < text.size()) {
    const size_t eol = text.find('\n', at);
    nlohmann::json row = nlohmann::json::parse(text.substr(at, eol - at), nullptr, false);
    if (row.is_discarded()) return Status::Internal("the SQL engine wrote a line that is not JSON");
    rows.push_back(std::move(row));
    at = eol == std::string::npos ? text.size() : eol + 1;
  }
  return rows;
}

// The rows of `table` in the store at `data`, as `table scan` prints them.
Result<std::vector<nlohmann::json>> Scan(const std::string& data, const std::string& table) {
  ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(data, /*read_only=*/true));
  const Table* t = store->tables()->Find(table);
  if (t == nullptr) return Status::ResourceNotFound("no table '" + table + "'");
  std::vector<nlohmann::json> rows;
  RETURN_IF_ERROR(t->Scan(std::nullopt, [&](const Row& row) {
    nlohmann::json j;
    for (size_t i = 0; i < row.size(); ++i) j[t->spec().schema.columns()[i].name] = row[i].ToJson();
    rows.push_back(std::move(j));
    return Status::OK();
  }));
  return rows;
}

bool SameRows(std::vector<nlohmann::json> a, std::vector<nlohmann::json> b) {
  auto text = [](std::vector<nlohmann::json>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.dump());
    std::sort(out.begin(), out.end());
    return out;
  };
  return text(a) == text(b);
}

Result<DemoBatchResult> RunBatchHalf(const DemoBatchInput& input) {
  DemoBatchResult result;
  result.archive = input.data + "/archive";
  result.batch_data = input.data + "/batch";

  ASSIGN_OR_RETURN(auto archive, OpenObjectStore(result.archive));
  Archiver::Options archiver_options;
  archiver_options.broker = input.broker;
  archiver_options.client = input.client;
  for (const auto& source : input.topology->sources)
    archiver_options.streams.push_back(source.stream);
  archiver_options.rotation.by_day = true;
  archiver_options.once = true;
  zmq::context_t ctx(1);
  Archiver archiver(&ctx, archive.get(), archiver_options);
  RETURN_IF_ERROR(archiver.Run(std::stop_token{}).WithContext("archive"));
  for (const auto& [topic, stats] : archiver.stats()) {
    result.objects += static_cast<int64_t>(stats.objects);
    result.records_archived += static_cast<int64_t>(stats.records);
  }

  BatchJob::Options job_options;
  job_options.input = result.archive;
  job_options.data = result.batch_data;
  {
    ASSIGN_OR_RETURN(auto job, BatchJob::Open(input.topology, job_options));
    for (const std::string& day : ArchivedDays(result.archive)) {
      ASSIGN_OR_RETURN(BatchRun run, job->Run(day, std::stop_token{}));
      result.runs.push_back(run);
      if (run.status == BatchRun::kFailed)
        return Status::Internal("batch run failed: " + run.error);
    }
  }

  if (input.question_file.empty()) return result;  // a topology without the questions
  result.question = std::filesystem::path(input.question_file).stem().string();
  ASSIGN_OR_RETURN(std::string query, ReadFile(input.question_file));
  ASSIGN_OR_RETURN(result.answer, Answer(result.batch_data, query));
  ASSIGN_OR_RETURN(auto table, Scan(result.batch_data, result.question));
  result.answer_equals_table = SameRows(result.answer, table);
  return result;
}

}  // namespace

nlohmann::ordered_json DemoBatchResult::ToJson() const {
  nlohmann::ordered_json runs_json = nlohmann::ordered_json::array();
  for (const BatchRun& r : runs) runs_json.push_back(nlohmann::ordered_json::parse(r.ToJson()));
  return {{"archive", archive},
          {"objects", objects},
          {"records_archived", records_archived},
          {"batch_data", batch_data},
          {"runs", std::move(runs_json)},
          {"question", question},
          {"answer_rows", answer.size()},
          {"answer_equals_table", answer_equals_table},
          {"seconds", seconds}};
}

Result<DemoBatchResult> RunDemoBatch(const DemoBatchInput& input) {
  const auto started = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(DemoBatchResult result, RunBatchHalf(input));
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace pinstream
