#include "demo/demo_summary.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "common/json_dump.h"

namespace pinstream {

namespace {

constexpr size_t kShownAnswerRows = 5;  // of each answer, here; the JSON report has more

// A path as a shell word.
std::string ShellQuote(const std::string& s) {
  if (s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+=") ==
      std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string Clip(std::string s, size_t width) {
  if (s.size() <= width) return s;
  s.resize(width - 3);
  return s + "...";
}

// The batch half's part of the summary.
void AppendBatchSummary(const DemoBatchResult& b, const std::string& self,
                        std::ostringstream& out) {
  out << "\nbatch side: the streams archived as the S3 sink connector lays them out (" << b.objects
      << " objects, " << b.records_archived << " records) in " << b.archive
      << "; the batch job over each day:\n";
  for (const BatchRun& run : b.runs) out << "  " << run.ToJson() << "\n";
  if (!b.question.empty()) {
    out << "SQL over the batch job's tables: " << self << " sql \"$(cat queries/" << b.question
        << ".sql)\" --data " << ShellQuote(b.batch_data) << "\n";
    const size_t shown = std::min(b.answer.size(), kShownAnswerRows);
    for (size_t i = 0; i < shown; ++i) out << "    " << DumpJson(b.answer[i]) << "\n";
    out << "  " << b.answer.size() << " rows, "
        << (b.answer_equals_table ? "equal to" : "DIFFERENT FROM") << " the batch job's "
        << b.question << " table\n";
  }
}

}  // namespace

std::string DemoSummary(const DemoReport& f, const std::string& self) {
  const std::vector<TableReport>& tables = f.tables;
  std::ostringstream out;
  out << "\npinstream demo: " << f.emulation.posts << " posts (" << f.emulation.distinct_posts
      << " distinct) sent as " << f.emulation.records << " records; the processor read "
      << f.processor.records_in << " records in " << f.processor.batches
      << (f.processor.batches == 1 ? " batch, " : " batches, ") << std::fixed
      << std::setprecision(1) << f.seconds << " s in all\n\n";
  int width = 14;
  for (const auto& t : tables) width = std::max(width, static_cast<int>(t.name.size()));
  out << "  " << std::left << std::setw(width) << "table" << std::right << "    rows\n";
  for (const auto& t : tables) {
    out << "  " << std::left << std::setw(width) << t.name << std::right << std::setw(8) << t.rows
        << "\n";
  }
  out << "\nsample rows (one post through every table):\n";
  for (const auto& t : tables) {
    if (IsAnswerTable(t.name) || t.sample.empty()) continue;
    out << "  " << t.name << ": " << Clip(DumpJson(t.sample.front()), 150) << "\n";
  }
  const std::string data = ShellQuote(f.processor_data);
  bool any_answers = false;
  for (const auto& t : tables) {
    if (!IsAnswerTable(t.name)) continue;
    if (!any_answers)
      out << "\nbusiness questions (the JSON report has up to " << kMaxAnswerRows
          << " rows of each):\n";
    any_answers = true;
    out << "  " << t.name << " (" << t.rows << (t.rows == 1 ? " row" : " rows") << ")\n";
    const size_t shown = std::min(t.sample.size(), kShownAnswerRows);
    for (size_t i = 0; i < shown; ++i) out << "    " << DumpJson(t.sample[i]) << "\n";
    if (t.rows > static_cast<int64_t>(shown)) {
      out << "    ... " << t.rows - static_cast<int64_t>(shown) << " more: " << self
          << " table scan " << t.name << " --data " << data << "\n";
    }
  }
  if (!any_answers) out << "\nbusiness questions: the topology declares no q_* tables\n";
  if (f.batch) AppendBatchSummary(*f.batch, self, out);
  out << "\ndata: " << f.data << "  (tables, state and offsets in processor/, the streams in "
      << "broker/)\ninspect it:\n"
      << "  " << self << " table list --data " << data << "\n"
      << "  " << self << " table scan pin --data " << data << " | head\n"
      << "  " << self << " table history pin --data " << data << "\n"
      << "  " << self << " offsets show --data " << data << "\n"
      << "  " << self << " broker --data " << ShellQuote(f.broker_data)
      << " &   # then stream list, stream get ...\n";
  return out.str();
}

}  // namespace pinstream
