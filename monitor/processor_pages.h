#pragma once

#include <mutex>
#include <string>

#include "monitor/monitor_pages.h"
#include "runtime/processor_monitor.h"
#include "sinks/table_store.h"

namespace pinstream {

// A processor's monitoring (MonitorPages), served on its --metrics address: what its
// ProcessorMonitor publishes, the tables of its store, and its data directory's size.
//
//   pinstream_processor_records_in_total{topology}
//   pinstream_processor_rows_out_total{topology}
//   pinstream_processor_operator_rows_in_total{topology,operator}
//   pinstream_processor_operator_rows_out_total{topology,operator}
//   pinstream_processor_operator_failed_total{topology,operator}
//   pinstream_processor_dead_letters_total{topology}
//   pinstream_processor_data_loss_gaps_total{topology}
//   pinstream_processor_batches_total{topology}
//   pinstream_processor_batch_records{topology}               histogram
//   pinstream_processor_batch_duration_seconds{topology}      histogram: first read to commit
//   pinstream_processor_commit_duration_seconds{topology}     histogram: flush and write
//   pinstream_processor_millis_behind_latest{topology,stream,shard}
//   pinstream_processor_state_keys{topology}, pinstream_processor_state_bytes{topology}
//   pinstream_table_version{table}, pinstream_processor_data_bytes
//
// Besides status and history, GET /monitor/rows?table=T&offset=N&limit=M pages through a table's
// newest version: {"table","version","columns":[...],"offset","rows":[{...}],"more"}.
//
// Borrows the monitor and the tables, which must outlive it; the tables are read from the
// server's threads, as TableStore allows once the processor declared them (Tables()).
class ProcessorPages final : public MonitorPages {
 public:
  ProcessorPages(const ProcessorMonitor* monitor, const TableStore* tables, std::string data_dir,
                 const MonitorPages::Options& options = {.root_always_html = true});
  ~ProcessorPages() override;

  std::string MetricsText() const override;
  // {"kind":"processor","topology","time_ms","started_ms","updated_ms","data_bytes",
  //  "records_in","rows_out","dead_letters","data_loss_gaps","batches","records_in_per_s",
  //  "rows_out_per_s","millis_behind","shards":[{"stream","shard_id","millis_behind"}],
  //  "operators":[{"name","rows_in","rows_out","failed"}],"state":{"keys","bytes"},
  //  "last_batch":{"records","seconds","commit_seconds"},
  //  "tables":[{"name","version","kind":"append"|"upsert"}]}
  nlohmann::json StatusJson() const override;

 private:
  // Series: "records_in_per_s", "rows_out_per_s", "dead_letters_per_s", "millis_behind" (the
  // most lagging shard), "batch_seconds" and "commit_seconds" (the last batch's).
  std::vector<std::pair<std::string, double>> Sample(double seconds) override;
  bool HandleMore(const HttpRequest& req, HttpResponse* res) const override;
  // The store's tables once the processor has declared them (it publishes its first status
  // after), so that no page reads the catalog while it is being built; none before.
  std::vector<Table*> Tables(const ProcessorStatus& s) const;

  const ProcessorMonitor* monitor_;
  const TableStore* tables_;
  const std::string data_dir_;
  ProcessorStatus previous_;  // sampler thread
  bool sampled_ = false;      // sampler thread
  mutable std::mutex rates_mu_;
  double records_in_per_s_ = 0;  // GUARDED_BY(rates_mu_)
  double rows_out_per_s_ = 0;    // GUARDED_BY(rates_mu_)
};

}  // namespace pinstream
