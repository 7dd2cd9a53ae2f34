#pragma once

// Helpers of the archive's tests: putting numbered records into a real broker, and reading an
// archive back into what each partition holds, checking the layout's promises on the way.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "archive/archive_layout.h"
#include "archive/object_store.h"
#include "stream/stream_client.h"

namespace pinstream::testing {

// Where each record put landed: (shard, counter) -> data.
using Positions = std::map<std::pair<uint32_t, uint64_t>, std::string>;

// Puts records `first`..`first + n - 1` as {"i":N,"pad":"..."} with partition key "k<N>", in
// PutRecords batches of 500, and adds where each landed to `positions`.
inline Status PutNumbered(StreamClient* client, const std::string& stream, uint64_t first,
                          uint64_t n, Positions* positions, size_t pad = 16) {
  std::vector<std::string> keys, data;
  for (uint64_t i = first; i < first + n; ++i) {
    keys.push_back("k" + std::to_string(i));
    data.push_back("{\"i\":" + std::to_string(i) + ",\"pad\":\"" + std::string(pad, 'x') + "\"}");
  }
  for (size_t at = 0; at < keys.size(); at += 500) {
    std::vector<PutEntry> entries;
    for (size_t j = at; j < std::min(keys.size(), at + 500); ++j) {
      entries.push_back(PutEntry{keys[j], data[j], std::nullopt});
    }
    std::vector<PutResult> results;
    RETURN_IF_ERROR(client->PutRecords(stream, entries, &results));
    for (size_t j = 0; j < results.size(); ++j) {
      RETURN_IF_ERROR(results[j].status);
      const SequenceNumber& seq = results[j].sequence_number;
      (*positions)[{seq.shard_index, seq.counter}] = data[at + j];
    }
  }
  return Status::OK();
}

// One archived record.
struct ArchivedLine {
  uint64_t offset = 0;
  std::string data;        // the data object's line, without '\n'
  nlohmann::json headers;  // the companion's line
  std::string key;         // the data object it is in
};

// Every record of `topic` in the store, by partition, in key order of the data objects (which
// is offset order within a partition). Adds a failure for a data object without its companion,
// a companion whose lines do not match the data's, or keys that are not archive keys.
inline std::map<uint32_t, std::vector<ArchivedLine>> ReadArchive(ObjectStore* store,
                                                                 const std::string& topic) {
  std::map<uint32_t, std::vector<ArchivedLine>> out;
  auto listed = store->List(TopicPrefix(topic));
  EXPECT_TRUE(listed.ok()) << listed.status().ToString();
  if (!listed.ok()) return out;
  std::map<std::pair<uint32_t, uint64_t>, ArchiveObject> data_objects;
  for (const ObjectInfo& info : *listed) {
    auto obj = ParseArchiveKey(info.key);
    EXPECT_TRUE(obj.has_value()) << "not an archive key: " << info.key;
    if (!obj || obj->headers) continue;
    EXPECT_TRUE(
        data_objects.emplace(std::make_pair(obj->partition, obj->start_offset), *obj).second)
        << "two data objects start at " << info.key;
  }
  for (const auto& [pos, obj] : data_objects) {
    auto body = store->Get(obj.Key());
    ArchiveObject hobj = obj;
    hobj.headers = true;
    auto headers = store->Get(hobj.Key());
    EXPECT_TRUE(body.ok() && headers.ok()) << obj.Key() << " or its headers missing";
    if (!body.ok() || !headers.ok()) continue;
    EXPECT_TRUE(!body->empty() && body->back() == '\n') << obj.Key();
    size_t p = 0, hp = 0;
    uint64_t offset = obj.start_offset;
    while (p < body->size()) {
      size_t nl = body->find('\n', p);
      size_t hnl = headers->find('\n', hp);
      EXPECT_NE(hnl, std::string::npos) << hobj.Key() << " has fewer lines than its data";
      if (nl == std::string::npos || hnl == std::string::npos) break;
      ArchivedLine line{offset, body->substr(p, nl - p),
                        nlohmann::json::parse(headers->substr(hp, hnl - hp)), obj.Key()};
      auto seq = SequenceNumber::Parse(line.headers.value("sequence_number", ""));
      EXPECT_TRUE(seq.ok() && seq->shard_index == obj.partition && seq->counter == offset)
          << obj.Key() << " line for offset " << offset << ": " << line.headers.dump();
      EXPECT_EQ(line.headers.value("arrival_ms", int64_t{-1}), seq.ok() ? seq->arrival_ms : -2);
      out[obj.partition].push_back(std::move(line));
      ++offset;
      p = nl + 1;
      hp = hnl + 1;
    }
    EXPECT_EQ(hp, headers->size()) << hobj.Key() << " has more lines than its data";
  }
  return out;
}

// Checks that the archive holds exactly `positions`, each once, in offset order per partition.
inline void ExpectExactly(const std::map<uint32_t, std::vector<ArchivedLine>>& archived,
                          const Positions& positions) {
  Positions seen;
  for (const auto& [partition, lines] : archived) {
    uint64_t last = 0;
    for (const ArchivedLine& line : lines) {
      EXPECT_GT(line.offset, last) << "partition " << partition << " out of order at " << line.key;
      last = line.offset;
      EXPECT_TRUE(seen.emplace(std::make_pair(partition, line.offset), line.data).second)
          << "duplicate: partition " << partition << " offset " << line.offset;
    }
  }
  EXPECT_EQ(seen.size(), positions.size());
  for (const auto& [pos, data] : positions) {
    auto it = seen.find(pos);
    if (it == seen.end()) {
      ADD_FAILURE() << "missing: partition " << pos.first << " offset " << pos.second;
      continue;
    }
    EXPECT_EQ(it->second, data) << "partition " << pos.first << " offset " << pos.second;
  }
  for (const auto& [pos, data] : seen) {
    if (!positions.contains(pos)) {
      ADD_FAILURE() << "never put: partition " << pos.first << " offset " << pos.second;
    }
  }
}

}  // namespace pinstream::testing
