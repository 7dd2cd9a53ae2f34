#include "sinks/replay.h"

#include <algorithm>

#include "common/decimal_text.h"
#include "common/time_format.h"

namespace pinstream {

namespace {

// Whether batch `b` read shard `stream`/`shard` at or past `to`: what it left in the tables
// would then be read again, or skipped, by a replay from `to`.
bool PastPosition(const BatchRecord& b, const std::string& stream, const std::string& shard,
                  const IteratorPosition& to) {
  auto st = b.offsets.find(stream);
  if (st == b.offsets.end() || !st->second.contains(shard)) return false;  // never read it
  if (to.type == IteratorType::kLatest) return false;
  auto resume = ResumePosition(st->second.at(shard));
  if (!resume.ok()) return true;  // unreadable: assume the worst
  if (resume->type == IteratorType::kAfterSequenceNumber) {
    // The batch processed the record `resume->sequence_number`.
    switch (to.type) {
      case IteratorType::kAtSequenceNumber:
        return CompareDecimals(resume->sequence_number, to.sequence_number) >= 0;
      case IteratorType::kAtTimestamp: {
        // Batches from before arrival times were recorded: the record arrived before the
        // batch committed, so the commit time bounds its arrival.
        int64_t arrival = b.time_ms;
        if (auto a = b.arrivals.find(stream); a != b.arrivals.end()) {
          if (auto s = a->second.find(shard); s != a->second.end()) arrival = s->second;
        }
        return arrival >= to.timestamp_ms;
      }
      default:
        return true;  // TRIM_HORIZON: any record read is past it
    }
  }
  // A position an earlier reset left, where reading resumes: the batch processed nothing of
  // the shard since, so it is past `to` only when that position is.
  if (resume->type == IteratorType::kTrimHorizon) return false;
  if (resume->type == IteratorType::kAtSequenceNumber &&
      to.type == IteratorType::kAtSequenceNumber) {
    return CompareDecimals(resume->sequence_number, to.sequence_number) > 0;
  }
  if (resume->type == IteratorType::kAtTimestamp && to.type == IteratorType::kAtTimestamp) {
    return resume->timestamp_ms > to.timestamp_ms;
  }
  return true;  // LATEST, or positions of different kinds: not comparable, assume past
}

Result<std::string> ResolveTopology(const ProcessorStore& store, const std::string& wanted,
                                    BatchRecord* current) {
  ASSIGN_OR_RETURN(std::vector<BatchRecord> all, store.ListOffsets());
  if (!wanted.empty()) {
    for (auto& r : all) {
      if (r.topology == wanted) {
        *current = std::move(r);
        return wanted;
      }
    }
    return Status::ResourceNotFound("topology '" + wanted + "' has no committed offsets");
  }
  if (all.empty()) return Status::ResourceNotFound("no topology has committed offsets here");
  if (all.size() > 1) {
    std::string names;
    for (const auto& r : all) names += (names.empty() ? "" : ", ") + r.topology;
    return Status::InvalidArgument("several topologies have offsets here (" + names +
                                   "): name one with --topology");
  }
  *current = std::move(all.front());
  return current->topology;
}

// The shards the request names, as (stream, shard).
Result<std::vector<std::pair<std::string, std::string>>> SelectShards(const ResetRequest& request,
                                                                      const Offsets& offsets) {
  std::string stream = request.stream, shard = request.shard;
  if (request.to.type == IteratorType::kAtSequenceNumber) {
    // A sequence number is one shard's, of one stream, which must be known. pinstream's broker
    // writes the shard into its numbers; other services' (a Kinesis source's) are opaque.
    const std::string& seq = request.to.sequence_number;
    if (auto ours = SequenceNumber::Parse(seq); ours.ok()) {
      const std::string owner = ShardIdFromIndex(ours->shard_index);
      if (!shard.empty() && shard != owner) {
        return Status::InvalidArgument("sequence number " + seq + " is of " + owner + ", not " +
                                       shard);
      }
      shard = owner;
    }
    if (stream.empty()) {
      if (offsets.size() != 1) {
        return Status::InvalidArgument("seq:N needs --stream: a sequence number is one stream's");
      }
      stream = offsets.begin()->first;
    }
    if (shard.empty()) {
      auto st = offsets.find(stream);
      if (st == offsets.end() || st->second.size() != 1) {
        return Status::InvalidArgument(
            "sequence number " + seq +
            " is not one pinstream's broker issued, so it does not name its shard: say which "
            "with --shard");
      }
      shard = st->second.begin()->first;
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  if (!stream.empty() && !shard.empty()) {
    out.emplace_back(stream, shard);
    return out;
  }
  for (const auto& [s, shards] : offsets) {
    if (!stream.empty() && s != stream) continue;
    for (const auto& [id, _] : shards) {
      if (shard.empty() || id == shard) out.emplace_back(s, id);
    }
  }
  if (out.empty()) {
    return Status::InvalidArgument("no checkpointed shard matches" +
                                   (stream.empty() ? "" : " --stream " + stream) +
                                   (shard.empty() ? "" : " --shard " + shard));
  }
  return out;
}

}  // namespace

Result<IteratorPosition> ParseResetPosition(std::string_view text) {
  IteratorPosition pos;
  if (text == "trim-horizon") {
    pos.type = IteratorType::kTrimHorizon;
  } else if (text == "latest") {
    pos.type = IteratorType::kLatest;
  } else if (text.starts_with("seq:")) {
    pos.type = IteratorType::kAtSequenceNumber;
    pos.sequence_number = text.substr(4);
    if (!IsSequenceNumberText(pos.sequence_number)) {
      return Status::InvalidArgument("invalid sequence number '" + pos.sequence_number + "'");
    }
  } else if (text.starts_with("timestamp:")) {
    pos.type = IteratorType::kAtTimestamp;
    ASSIGN_OR_RETURN(pos.timestamp_ms, ParseTimestampMillis(text.substr(10)));
  } else {
    return Status::InvalidArgument(
        "--to takes trim-horizon, latest, seq:N or timestamp:ISO8601; got '" + std::string(text) +
        "'");
  }
  return pos;
}

Result<ResetPlan> PlanReset(const ProcessorStore& store, const ResetRequest& request) {
  ResetPlan plan;
  ASSIGN_OR_RETURN(plan.topology, ResolveTopology(store, request.topology, &plan.current));
  ASSIGN_OR_RETURN(auto selected, SelectShards(request, plan.current.offsets));
  for (const auto& [stream, shard] : selected) plan.shards.push_back(stream + "/" + shard);

  const BatchRecord* base = &plan.current;
  BatchRecord target;  // batch_id 0: before the first batch
  if (request.rewind_tables) {
    // Newest first, one batch at a time: a rewind usually goes back a few batches of many.
    bool found = false;
    RETURN_IF_ERROR(store.VisitBatchesNewestFirst(plan.topology, [&](BatchRecord&& b) {
      const bool past = std::any_of(selected.begin(), selected.end(), [&](const auto& s) {
        return PastPosition(b, s.first, s.second, request.to);
      });
      if (past) return true;
      target = std::move(b);
      found = true;
      return false;
    }));
    ASSIGN_OR_RETURN(std::optional<int64_t> floor, store.RewindFloor(plan.topology));
    if (floor && (!found || target.batch_id < *floor)) {
      // Retention trimmed the batches a rewind to this position needs. (An error path: it may
      // read the batches back to the floor, one at a time, for the floor's time.)
      std::string since;
      RETURN_IF_ERROR(store.VisitBatchesNewestFirst(plan.topology, [&](BatchRecord&& b) {
        if (b.batch_id == *floor) since = ", committed " + FormatIso8601(b.time_ms);
        return b.batch_id > *floor;
      }));
      return Status::ResourceNotFound(
          "topology '" + plan.topology + "' cannot rewind its tables to " +
          FormatIteratorPosition(request.to) +
          ": rewind_retention trimmed the undo logs of older batches; the furthest back it can "
          "go is batch " +
          std::to_string(*floor) + since + " (a position the records after it reach)");
    }
    if (target.batch_id != plan.current.batch_id) {
      plan.rewind_to = target.batch_id;
      base = &target;
      for (const auto& [name, _] : plan.current.tables) {
        auto v = target.tables.find(name);
        plan.table_versions[name] = v == target.tables.end() ? 0 : v->second;
      }
    }
  }

  plan.checkpoint = base->checkpoint();
  const std::string position = FormatIteratorPosition(request.to);
  for (const auto& [stream, shard] : selected) {
    if (plan.rewind_to) {
      // Resume where the rewound batch stood; a shard it never read starts where the topology
      // says, unless the replay is from the very beginning.
      auto st = base->offsets.find(stream);
      const bool read = st != base->offsets.end() && st->second.contains(shard);
      if (read || request.to.type != IteratorType::kTrimHorizon) continue;
    }
    plan.checkpoint.offsets[stream][shard] = position;
    if (auto a = plan.checkpoint.arrivals.find(stream); a != plan.checkpoint.arrivals.end()) {
      a->second.erase(shard);
    }
  }
  return plan;
}

Result<int64_t> ApplyReset(ProcessorStore* store, const ResetPlan& plan) {
  return store->Reset(plan.topology, plan.checkpoint, plan.rewind_to);
}

nlohmann::ordered_json ResetPlan::ToJson() const {
  nlohmann::ordered_json j;
  j["topology"] = topology;
  j["shards"] = shards;
  if (rewind_to) {
    nlohmann::ordered_json tables = nlohmann::ordered_json::object();
    for (const auto& [name, to] : table_versions) {
      auto from = current.tables.find(name);
      tables[name] = {{"from", from == current.tables.end() ? 0 : from->second}, {"to", to}};
    }
    j["rewind"] = {{"from_batch", current.batch_id}, {"to_batch", *rewind_to}, {"tables", tables}};
  } else {
    j["rewind"] = nullptr;
  }
  j["offsets"] = {{"before", OffsetsToJson(current.offsets)},
                  {"after", OffsetsToJson(checkpoint.offsets)}};
  return j;
}

}  // namespace pinstream
