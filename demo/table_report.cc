#include "demo/table_report.h"

#include <algorithm>
#include <optional>

#include "common/value.h"
#include "sinks/table_store.h"

namespace pinstream {

namespace {

using ojson = nlohmann::ordered_json;

// Counts the rows of `table` and keeps a sample: with `post` set and an `ind` column, the row
// of that post, so that the report follows one post through every table; else the first
// `sample_rows` rows.
Result<TableReport> ReadTable(const Table& table, int64_t sample_rows,
                              std::optional<int64_t> post) {
  const Schema& schema = table.spec().schema;
  const int ind = post ? schema.Find("ind") : -1;
  TableReport r{table.spec().name, 0, {}};
  RETURN_IF_ERROR(table.Scan(std::nullopt, [&](const Row& row) {
    ++r.rows;
    const bool wanted =
        ind >= 0 ? r.sample.empty() && row[ind].type() == Type::kInt && row[ind].as_int() == *post
                 : r.rows <= sample_rows;
    if (wanted) r.sample.push_back(RowToJson(schema, row));
    return Status::OK();
  }));
  return r;
}

}  // namespace

Result<std::vector<TableReport>> ReadTables(const ProcessorStore& store,
                                            const std::vector<std::string>& names) {
  std::vector<TableReport> out;
  std::optional<int64_t> post;  // the ind of the first row of the first table that has one
  auto add = [&](const std::string& name, int64_t sample_rows, bool follow_post) -> Status {
    const Table* t = store.tables()->Find(name);
    if (t == nullptr) {
      out.push_back({name, 0, {}});
      return Status::OK();
    }
    ASSIGN_OR_RETURN(TableReport r, ReadTable(*t, sample_rows, follow_post ? post : std::nullopt));
    if (follow_post && !post && !r.sample.empty()) {
      const ojson& ind = r.sample.front().value("ind", ojson());
      if (ind.is_number_integer()) post = ind.get<int64_t>();
    }
    out.push_back(std::move(r));
    return Status::OK();
  };
  for (const auto& name : names) {
    const bool answer = IsAnswerTable(name);
    RETURN_IF_ERROR(add(name, answer ? kMaxAnswerRows : 1, /*follow_post=*/!answer));
  }
  if (std::find(names.begin(), names.end(), kDeadLettersTable) == names.end()) {
    RETURN_IF_ERROR(add(kDeadLettersTable, 1, /*follow_post=*/false));
  }
  return out;
}

}  // namespace pinstream
