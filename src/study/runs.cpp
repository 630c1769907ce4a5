#include "runs.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>
#include <tuple>

#include "linconv/atomic_file.hpp"
#include "linconv/error.hpp"

namespace linconv::cli {
namespace {

namespace fs = std::filesystem;

// A CSV file with a header line, read cell by cell; errors name the file, line and column.
// Only whole lines are read: a last line without its newline is one that a run still training
// is writing (its log is flushed in blocks, not lines), so `linconv report` can read a study
// while its sweep runs.
class CsvReader {
 public:
  CsvReader(fs::path file, const std::vector<std::string>& required) : file_(std::move(file)), in_(file_) {
    if (!in_) throw Error(file_.string() + ": cannot read");
    std::string header;
    if (!whole_line(header)) return;  // nothing logged yet
    has_header_ = true;
    std::istringstream names(header);
    std::string name;
    for (int i = 0; std::getline(names, name, ','); ++i) columns_[name] = i;
    for (const std::string& r : required)
      if (!columns_.contains(r)) throw Error(file_.string() + ": no column '" + r + "' in the header");
  }

  // Whether the header line has been written: a run creates its logs at its start.
  bool has_header() const { return has_header_; }

  // Moves to the next row; false at the end of the whole lines.
  bool next() {
    std::string line;
    if (!has_header_ || !whole_line(line)) return false;
    ++line_;
    cells_.clear();
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) cells_.push_back(cell);
    if (!line.empty() && line.back() == ',') cells_.emplace_back();
    if (cells_.size() != columns_.size())
      fail("has " + std::to_string(cells_.size()) + " cells, the header " + std::to_string(columns_.size()));
    return true;
  }

  // The cell of `column` as a number; an empty cell is NaN when `empty_ok`.
  double number(const std::string& column, bool empty_ok = false) const {
    const std::string& cell = cells_[columns_.at(column)];
    if (cell.empty() && empty_ok) return std::numeric_limits<double>::quiet_NaN();
    double value = 0.0;
    const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    if (error != std::errc() || end != cell.data() + cell.size())
      fail("column " + column + ": not a number: '" + cell + "'");
    return value;
  }
  long integer(const std::string& column) const {
    const double value = number(column);
    if (value != std::floor(value)) fail("column " + column + ": not an integer");
    return long(value);
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(file_.string() + ": line " + std::to_string(line_ + 1) + " " + what);
  }

 private:
  bool whole_line(std::string& line) { return std::getline(in_, line) && !in_.eof(); }

  fs::path file_;
  std::ifstream in_;
  std::map<std::string, int> columns_;
  std::vector<std::string> cells_;
  long line_ = 0;
  bool has_header_ = false;
};

std::vector<StepRow> read_metrics(const fs::path& file) {
  CsvReader csv(file, {"step", "epoch", "loss", "ce", "penalty", "alpha1", "alpha2", "alpha3"});
  std::vector<StepRow> rows;
  while (csv.next()) {
    StepRow row{csv.integer("step"), int(csv.integer("epoch")), csv.number("loss"), csv.number("ce"),
                csv.number("penalty"), {}};
    for (int k = 0; k < 3; ++k) row.alphas[k] = csv.number("alpha" + std::to_string(k + 1), true);
    if (row.step != long(rows.size()) + 1) csv.fail("expected step " + std::to_string(rows.size() + 1));
    rows.push_back(row);
  }
  return rows;
}

// epochs.csv, each epoch tied to its last step in metrics.csv.
std::vector<EpochRow> read_epochs(const fs::path& file, const std::vector<StepRow>& steps) {
  CsvReader csv(file, {"epoch", "test_loss", "test_acc"});
  std::vector<EpochRow> rows;
  while (csv.next()) {
    EpochRow row{int(csv.integer("epoch")), csv.number("test_loss"), csv.number("test_acc"), 0};
    if (row.epoch != int(rows.size()) + 1) csv.fail("expected epoch " + std::to_string(rows.size() + 1));
    if (!(row.test_acc >= 0.0 && row.test_acc <= 1.0)) csv.fail("test_acc is not in [0, 1]");
    for (const StepRow& s : steps)
      if (s.epoch == row.epoch) row.last_step = s.step;
    if (row.last_step == 0) csv.fail("epoch " + std::to_string(row.epoch) + " has no step in metrics.csv");
    rows.push_back(row);
  }
  return rows;
}

Run read_run(const fs::path& dir) {
  const fs::path file = dir / "config.json";
  const nlohmann::json j = read_json_object(file);
  Run run;
  run.dir = dir;
  std::optional<long> max_steps;
  try {
    Setting& s = run.setting;
    s.net = j.value("net", std::string(report_net));
    s.activation = j.at("activation");
    if (s.activation != "alpha" && s.activation != "channel" && s.activation != "relu" && s.activation != "linear")
      throw Error(file.string() + ": unknown activation '" + s.activation + "'");
    // lambda is a float in training: 0.1 is stored as 0.10000000149011612.
    if (s.learns_alphas()) s.lambda = j.at("lambda").get<float>();
    s.epochs = j.at("epochs");
    s.reduction = j.at("reduction");
    s.input_scale = j.at("input_scale");
    if (s.learns_alphas()) s.alpha_init = j.value("alpha_init", 0.5f);
    // Runs saved before --optimizer and --lambda-scale existed used Adam and lambda as given.
    s.optimizer = j.value("optimizer", std::string("adam"));
    s.lambda_scale = j.value("lambda_scale", std::string("none"));
    run.seed = j.at("seed");
    run.batch = j.at("batch");
    run.lr = j.value("lr", 0.0);
    run.data = j.value("data", std::string());
    if (j.contains("limit") && !j.at("limit").is_null()) run.limit = j.at("limit").get<long>();
    if (j.contains("test_limit") && !j.at("test_limit").is_null()) run.test_limit = j.at("test_limit").get<int>();
    if (j.contains("steps") && !j.at("steps").is_null()) max_steps = j.at("steps").get<long>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not a linconv training configuration (" + e.what() + ")");
  }
  if (!fs::exists(dir / "metrics.csv") || !fs::exists(dir / "epochs.csv")) return run;  // not started
  run.steps = read_metrics(dir / "metrics.csv");
  if (run.setting.learns_alphas())
    for (const StepRow& row : run.steps)
      if (std::isnan(row.alphas[0] + row.alphas[1] + row.alphas[2]))
        throw Error((dir / "metrics.csv").string() + ": step " + std::to_string(row.step) +
                    " has no alphas, but the run learns them");
  run.epochs = read_epochs(dir / "epochs.csv", run.steps);
  run.finished = int(run.epochs.size()) == run.setting.epochs ||
                 (max_steps && !run.epochs.empty() && long(run.steps.size()) >= *max_steps);
  return run;
}

}  // namespace

std::string Setting::describe() const {
  std::ostringstream text;
  if (net != report_net) text << net << ", ";
  text << activation;
  if (lambda) text << ", lambda " << *lambda;
  text << ", " << epochs << (epochs == 1 ? " epoch, " : " epochs, ") << reduction << " reduction, "
       << input_scale << " input";
  if (alpha_init && *alpha_init != 0.5f) text << ", alpha init " << *alpha_init;
  if (lambda_scale != "none") text << ", penalty scaled by the " << lambda_scale;
  if (optimizer != "adam") text << ", " << (optimizer == "sgd" ? "SGD" : optimizer);
  return text.str();
}

std::vector<Run> read_runs(const fs::path& runs_dir) {
  std::error_code ec;
  if (!fs::is_directory(runs_dir, ec))
    throw Error(runs_dir.string() + ": not a directory (expected the runs of a study, one folder each)");
  std::vector<Run> runs;
  for (const fs::directory_entry& entry : fs::directory_iterator(runs_dir))
    if (entry.is_directory() && fs::exists(entry.path() / "config.json")) runs.push_back(read_run(entry.path()));
  if (runs.empty())
    throw Error(runs_dir.string() + ": holds no training run (no sub-folder with a config.json)");
  std::ranges::sort(runs, [](const Run& a, const Run& b) {
    return std::tie(a.setting, a.seed, a.dir) < std::tie(b.setting, b.seed, b.dir);
  });
  return runs;
}

nlohmann::json read_json_object(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot read");
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) throw Error(file.string() + ": not a JSON object (damaged or cut short?)");
  return j;
}

void write_json_object(const fs::path& file, const nlohmann::json& j) {
  const std::string text = j.dump(2) + "\n";
  write_file_atomically(file, {std::as_bytes(std::span(text))});
}

}  // namespace linconv::cli
