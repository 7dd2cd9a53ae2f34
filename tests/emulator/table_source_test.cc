#include "emulator/table_source.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "emulator/csv_reader.h"
#include "emulator/emulator.h"
#include "emulator/python_random.h"
#include "tests/emulator/fake_sink.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::FakeSink;
using testing::TempDir;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<std::vector<std::string>> Fields(const std::vector<CsvRecord>& records) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : records) out.push_back(r.fields);
  return out;
}

TEST(CsvReaderTest, QuotedFields) {
  ASSERT_OK_AND_ASSIGN(auto records, ParseCsv("a,b,c\n"
                                              "1,\"x, y\",\"say \"\"hi\"\"\"\n"
                                              "2,\"two\nlines\",plain \n"
                                              "3,,\"\"\n"));
  EXPECT_EQ(Fields(records), (std::vector<std::vector<std::string>>{
                                 {"a", "b", "c"},
                                 {"1", "x, y", "say \"hi\""},
                                 {"2", "two\nlines", "plain "},  // spaces are data
                                 {"3", "", ""}}));
  EXPECT_EQ(records[0].line, 1);
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].line, 3);
  EXPECT_EQ(records[3].line, 5);  // after the quoted line break
}

TEST(CsvReaderTest, CrlfBomBlankLinesAndNoFinalNewline) {
  ASSERT_OK_AND_ASSIGN(auto records,
                       ParseCsv("\xEF\xBB\xBFh1,h2\r\n\r\nx,\"a\r\nb\"\r\n\r\ny,\u00e9t\u00e9"));
  EXPECT_EQ(Fields(records), (std::vector<std::vector<std::string>>{
                                 {"h1", "h2"}, {"x", "a\r\nb"}, {"y", "\u00e9t\u00e9"}}));
  EXPECT_EQ(records[2].line, 6);
}

TEST(CsvReaderTest, MalformedQuoteNamesTheLine) {
  auto bad = ParseCsv("a,b\n1,2\n3,\"open\" junk\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kCorruption);
  EXPECT_NE(bad.status().message().find("line 3"), std::string::npos) << bad.status().ToString();

  auto unterminated = ParseCsv("a,b\n1,\"never closed\n");
  ASSERT_FALSE(unterminated.ok());
  EXPECT_EQ(unterminated.status().code(), Status::Code::kCorruption);
}

// A dump in mixed formats, as people export them: pins as CSV with pandas' index column,
// geo as a JSON array, users as JSON Lines. ind 3 has no pin, ind 4 has neither pin nor geo.
class TableSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.Sub("pinterest_data.csv"),
              ",index,unique_id,title,description,poster_name,follower_count,tag_list,"
              "is_image_or_video,image_src,downloaded,save_location,category\n"
              "0,0,u-0,\"Cozy, warm nook\",\"He said \"\"wow\"\"\nthen left\",Ann ,12k,"
              "\"A,B,C\",image,https://i.pinimg.com/originals/a.jpg,1,"
              "Local save in /data/home-decor,home-decor\n"
              "1,1,u-1,No Title Data Available,No description available Story format,"
              "User Info Error,User Info Error,\"N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e\","
              "multi-video(story page format),Image src error.,0,Local save in /data/art,art\n"
              "2,2,u-2,,Caf\u00e9 \u2026\u00a0,B\u00e9a,1M,X,video,https://x/v.jpg,1,"
              "Local save in /data/travel,travel\n"
              "5,5,u-5,T5,D5,P5,457,Y,image,https://x/5.jpg,1,Local save in /data/quotes,"
              "quotes\n");
    WriteFile(dir_.Sub("geolocation_data.json"),
              R"([{"ind": 0, "timestamp": "2020-08-28 03:52:47", "latitude": -89.9787,
                   "longitude": -173.293, "country": "C\u00f4te d'Ivoire"},
                  {"ind": 1, "timestamp": "2019-01-01 00:00:00", "latitude": 1.5,
                   "longitude": 2.5, "country": "Bonaire, Sint Eustatius and Saba"},
                  {"ind": 2, "timestamp": "2021-02-03 04:05:06", "latitude": 0,
                   "longitude": 0, "country": "Chad"},
                  {"ind": 3, "timestamp": "2022-02-03 04:05:06", "latitude": 3,
                   "longitude": 3, "country": "Peru"},
                  {"ind": 5, "timestamp": "2018-02-03 04:05:06", "latitude": 5,
                   "longitude": 5, "country": "Fiji"}])");
    std::string users;
    for (int i = 0; i <= 5; ++i) {
      users += nlohmann::json{{"ind", i},
                              {"first_name", "F" + std::to_string(i)},
                              {"last_name", "O'L"},
                              {"age", 20 + i},
                              {"date_joined", "2016-01-01 00:00:00"}}
                   .dump() +
               "\n";
    }
    WriteFile(dir_.Sub("user_data.jsonl"), users + "\n");
  }

  TempDir dir_;
};

TEST_F(TableSourceTest, LoadsAndTypesRows) {
  ASSERT_OK_AND_ASSIGN(auto source, TableSource::Open(dir_.path()));
  EXPECT_EQ(source->pin_rows(), 4u);
  EXPECT_EQ(source->geo_rows(), 5u);
  EXPECT_EQ(source->user_rows(), 6u);

  PostRows rows = source->Rows(0);
  ASSERT_TRUE(rows.pin && rows.geo && rows.user);
  const JsonRow& pin = *rows.pin;
  // The pandas index column is gone; the columns keep the dump's order.
  EXPECT_EQ(pin.begin().key(), "index");
  EXPECT_EQ(pin.size(), 12u);
  EXPECT_TRUE(pin["index"].is_number_integer());
  EXPECT_EQ(pin["index"], 0);
  EXPECT_EQ(pin["title"], "Cozy, warm nook");
  EXPECT_EQ(pin["description"], "He said \"wow\"\nthen left");
  EXPECT_EQ(pin["poster_name"], "Ann ");
  EXPECT_EQ(pin["follower_count"], "12k");
  EXPECT_EQ(pin["tag_list"], "A,B,C");
  EXPECT_TRUE(pin["downloaded"].is_number_integer());
  EXPECT_EQ(pin["downloaded"], 1);
  EXPECT_EQ(rows.geo->at("latitude"), -89.9787);
  EXPECT_EQ(rows.geo->at("country"), "C\u00f4te d'Ivoire");
  EXPECT_EQ(rows.user->at("age"), 20);

  const JsonRow pin5 = *source->Rows(5).pin;
  EXPECT_EQ(pin5["follower_count"], "457");  // a string, as the database has it
  EXPECT_EQ(source->Rows(2).pin->at("title"), "");
  EXPECT_EQ(source->Rows(2).pin->at("description"), "Caf\u00e9 \u2026\u00a0");
}

TEST_F(TableSourceTest, MissingRowsAreNullopt) {
  ASSERT_OK_AND_ASSIGN(auto source, TableSource::Open(dir_.path()));
  PostRows three = source->Rows(3);
  EXPECT_FALSE(three.pin);
  EXPECT_TRUE(three.geo);
  EXPECT_TRUE(three.user);
  PostRows four = source->Rows(4);
  EXPECT_FALSE(four.pin);
  EXPECT_FALSE(four.geo);
  EXPECT_TRUE(four.user);
  PostRows none = source->Rows(999);
  EXPECT_FALSE(none.pin || none.geo || none.user);
}

TEST_F(TableSourceTest, EmulationSkipsAndCountsMissingRows) {
  ASSERT_OK_AND_ASSIGN(auto source, TableSource::Open(dir_.path()));
  EmulatorOptions options;
  options.prefix = "t";
  options.count = 300;
  options.max_ind = 5;  // draws randint(0, 5): every ind of the fixture, 3 and 4 included
  FakeSink sink;
  ASSERT_OK_AND_ASSIGN(EmulatorSummary summary, Emulate(options, *source, &sink, Clock::Real()));
  EXPECT_EQ(summary.posts, 300);
  ASSERT_EQ(summary.streams.size(), 3u);
  const auto& pin = summary.streams[0];
  const auto& geo = summary.streams[1];
  const auto& user = summary.streams[2];
  EXPECT_EQ(pin.records + pin.skipped, 300u);
  EXPECT_EQ(geo.records + geo.skipped, 300u);
  EXPECT_EQ(user.records, 300u);
  EXPECT_EQ(user.skipped, 0u);
  EXPECT_GT(pin.skipped, geo.skipped);  // 3 and 4 lack pins, only 4 lacks geo
  EXPECT_GT(geo.skipped, 0u);
  for (const auto& r : sink.records("t-pin")) {
    EXPECT_NE(r.partition_key, "3");
    EXPECT_NE(r.partition_key, "4");
    auto row = nlohmann::json::parse(r.data);
    EXPECT_EQ(std::to_string(row["index"].get<int64_t>()), r.partition_key);
  }
  EXPECT_EQ(summary.ToJson()["skipped"], pin.skipped + geo.skipped);
}

TEST(TableSourceErrorsTest, MissingTableAndBadRows) {
  TempDir dir;
  auto missing = TableSource::Open(dir.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("pinterest_data"), std::string::npos);

  WriteFile(dir.Sub("pinterest_data.csv"), "index,title\n1,a\n2,b,extra\n");
  WriteFile(dir.Sub("geolocation_data.jsonl"), "{\"ind\": 1}\n");
  WriteFile(dir.Sub("user_data.jsonl"), "{\"ind\": 1}\n");
  auto ragged = TableSource::Open(dir.path());
  ASSERT_FALSE(ragged.ok());
  EXPECT_EQ(ragged.status().code(), Status::Code::kCorruption);
  EXPECT_NE(ragged.status().message().find("pinterest_data.csv:3"), std::string::npos)
      << ragged.status().ToString();

  WriteFile(dir.Sub("pinterest_data.csv"), "index,title\n1,a\n");
  WriteFile(dir.Sub("geolocation_data.jsonl"), "{\"ind\": 1}\n{\"country\": \"Peru\"}\n");
  auto no_ind = TableSource::Open(dir.path());
  ASSERT_FALSE(no_ind.ok());
  EXPECT_NE(no_ind.status().message().find("geolocation_data.jsonl:2"), std::string::npos)
      << no_ind.status().ToString();

  WriteFile(dir.Sub("geolocation_data.jsonl"), "{\"ind\": 1}\n{not json\n");
  auto bad_json = TableSource::Open(dir.path());
  ASSERT_FALSE(bad_json.ok());
  EXPECT_EQ(bad_json.status().code(), Status::Code::kCorruption);
}

// Numbers beyond int64 (found by fuzz_csv_reader: converting them was undefined behaviour) stay
// floats, and a float ind that is no int64 is no ind.
TEST(TableSourceErrorsTest, NumbersBeyondInt64StayFloats) {
  TempDir dir;
  WriteFile(dir.Sub("pinterest_data.csv"), "index,downloaded,age\n2,1e300,-1e19\n");
  WriteFile(dir.Sub("geolocation_data.jsonl"), "{\"ind\": 2}\n");
  WriteFile(dir.Sub("user_data.jsonl"), "{\"ind\": 2}\n");
  auto source = TableSource::Open(dir.path());
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  const PostRows rows = (*source)->Rows(2);
  ASSERT_TRUE(rows.pin.has_value());
  EXPECT_TRUE(rows.pin->at("downloaded").is_number_float());
  EXPECT_TRUE(rows.pin->at("age").is_number_float());

  WriteFile(dir.Sub("pinterest_data.csv"), "index\n1e300\n");
  auto huge_ind = TableSource::Open(dir.path());
  ASSERT_FALSE(huge_ind.ok());
  EXPECT_NE(huge_ind.status().message().find("pinterest_data.csv:2"), std::string::npos)
      << huge_ind.status().ToString();
}

// With --python-seed, a replay posts exactly the original script's sequence of rows.
TEST(TableSourcePythonSeedTest, DrawsInTheOriginalOrder) {
  const std::vector<int64_t> seed100 = {7528, 2863,  5730, 8304, 8731, 1313,
                                        4315, 10794, 5494, 5069, 2923, 3089};
  TempDir dir;
  std::string pins = "index,title,downloaded\n", geos, users;
  for (int64_t ind : seed100) {
    if (ind != 8731) pins += std::to_string(ind) + ",title " + std::to_string(ind) + ",1\n";
    geos += nlohmann::json{{"ind", ind}, {"country", "Peru"}}.dump() + "\n";
    users += nlohmann::json{{"ind", ind}, {"age", 30}}.dump() + "\n";
  }
  WriteFile(dir.Sub("pinterest_data.csv"), pins);
  WriteFile(dir.Sub("geolocation_data.jsonl"), geos);
  WriteFile(dir.Sub("user_data.jsonl"), users);
  ASSERT_OK_AND_ASSIGN(auto source, TableSource::Open(dir.path()));

  EmulatorOptions options;
  options.prefix = "orig";
  options.count = static_cast<int64_t>(seed100.size());
  options.seed = 5;  // the pool seed does not matter for a replay; the python seed does
  options.python_seed = 100;
  FakeSink sink;
  ASSERT_OK_AND_ASSIGN(EmulatorSummary summary, Emulate(options, *source, &sink, Clock::Real()));
  std::vector<int64_t> geo_keys, pin_keys;
  for (const auto& r : sink.records("orig-geo")) geo_keys.push_back(std::stoll(r.partition_key));
  for (const auto& r : sink.records("orig-pin")) pin_keys.push_back(std::stoll(r.partition_key));
  EXPECT_EQ(geo_keys, seed100);
  std::vector<int64_t> without_8731 = seed100;
  std::erase(without_8731, 8731);
  EXPECT_EQ(pin_keys, without_8731);
  EXPECT_EQ(summary.streams[0].skipped, 1u);
  EXPECT_EQ(nlohmann::json::parse(sink.records("orig-pin")[0].data),
            (nlohmann::json{{"index", 7528}, {"title", "title 7528"}, {"downloaded", 1}}));
}

}  // namespace
}  // namespace pinstream
