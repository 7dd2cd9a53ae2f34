#pragma once

// The check that queries/<q table>.sql gives exactly the rows of its q_* table: runs
// `pinstream sql "$(cat queries/Q.sql)" --data DIR` and `pinstream table scan Q --data DIR` for
// each of the eight questions and compares the two as multisets of rows. Rows are compared as
// JSON values with their types (an integer 5 is not the double 5.0) and numbers exact (a median
// must be the same double): both sides compute the exact median of the same integers, so no
// tolerance is needed. Any data directory with the cleaned tables (pin, geo, user) and the q_*
// tables will do: the streaming processor's, or the batch job's
// (ExpectQueriesGiveQuestionTables(batch_data_dir, scratch)).
//
// Needs PINSTREAM_BINARY and PINSTREAM_SOURCE_DIR (tests/CMakeLists.txt defines both) and
// tests/stream/broker_process.cc (RunPinstream) linked in.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream::testing {

inline const std::vector<std::string>& QuestionQueryTables() {
  static const std::vector<std::string> tables = {
      "q_category_by_country",           "q_category_by_year",
      "q_followers_by_country",          "q_category_by_age_group",
      "q_median_followers_by_age_group", "q_users_joined_by_year",
      "q_median_followers_by_join_year", "q_median_followers_by_join_year_age_group"};
  return tables;
}

// JSON Lines as a sorted list of canonical rows (keys sorted, types kept): a multiset.
inline std::vector<std::string> CanonicalRows(const std::string& jsonl) {
  std::vector<std::string> rows;
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    rows.push_back(nlohmann::json::parse(line).dump());  // nlohmann::json sorts keys
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

inline std::string ReadQueryFile(const std::string& table) {
  std::ifstream in(std::string(PINSTREAM_SOURCE_DIR) + "/queries/" + table + ".sql");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Expects each of the eight queries over the tables at `data` to give exactly the rows of its
// q_* table there, and `min_rows` rows at least in all (so that an empty run cannot pass).
// `scratch` is a directory for the commands' output.
inline void ExpectQueriesGiveQuestionTables(const std::string& data, const std::string& scratch,
                                            size_t min_rows = 1) {
  size_t rows = 0;
  for (const std::string& table : QuestionQueryTables()) {
    const std::string sql = ReadQueryFile(table);
    ASSERT_FALSE(sql.empty()) << "queries/" << table << ".sql is missing or empty";
    auto answer = RunPinstream({"sql", sql, "--data", data}, scratch);
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    ASSERT_EQ(answer->exit_code, 0) << table << ": " << answer->err;
    auto scan = RunPinstream({"table", "scan", table, "--data", data}, scratch);
    ASSERT_TRUE(scan.ok()) << scan.status().ToString();
    ASSERT_EQ(scan->exit_code, 0) << table << ": " << scan->err;
    const std::vector<std::string> expected = CanonicalRows(scan->out);
    EXPECT_EQ(CanonicalRows(answer->out), expected)
        << "queries/" << table << ".sql differs from the table " << table;
    rows += expected.size();
  }
  EXPECT_GE(rows, min_rows) << "the q_* tables hold too few rows for the check to mean much";
}

}  // namespace pinstream::testing
