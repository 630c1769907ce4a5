// What the run folders of a sweep and the sweep directory hold: whether a run finished and
// with what result, summary.csv, and sweep.json (made, continued, or refused when it differs).
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "linconv/atomic_file.hpp"
#include "net_names.hpp"
#include "runs.hpp"
#include "sweep.hpp"

namespace linconv::cli {

namespace fs = std::filesystem;

namespace {

// What a run folder holds.

std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::istringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

// The last line of a text file, read from its end (metrics.csv has a line per step).
std::string last_line(const fs::path& file) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - 4096);
  std::string tail(std::size_t(size - start), '\0');
  in.seekg(start);
  in.read(tail.data(), std::streamsize(tail.size()));
  while (!tail.empty() && tail.back() == '\n') tail.pop_back();
  return tail.substr(tail.rfind('\n') + 1);
}

}  // namespace

// A run finished when epochs.csv has its last epoch and its model is saved; or, for a run kept
// as its logs alone (config.json, epochs.csv, metrics.csv: what the repository keeps of a study,
// without checkpoints), when epochs.csv has its last epoch. Training leaves its train.lock in
// every folder it wrote, so a folder without one nor a checkpoint holds copied logs, never a
// run killed before its first save.
std::optional<Outcome> finished_outcome(const RunConfig& run) {
  const bool trained_here = fs::exists(run.out / "train.lock") || fs::exists(run.out / "state.safetensors");
  if (!fs::exists(run.out / "model.safetensors") && trained_here) return std::nullopt;
  const std::vector<std::string> epoch = csv_cells(last_line(run.out / "epochs.csv"));
  if (epoch.size() < 4 || epoch[0] != std::to_string(run.epochs)) return std::nullopt;
  const std::vector<std::string> step = csv_cells(last_line(run.out / "metrics.csv"));
  Outcome outcome{epoch[3], {}};
  for (std::size_t k = 0; k < 3 && 5 + k < step.size(); ++k) outcome.alphas[k] = step[5 + k];
  return outcome;
}

EpochsDone epochs_done(const RunConfig& run) {
  EpochsDone done;
  std::ifstream in(run.out / "epochs.csv");
  std::string line;
  std::getline(in, line);  // the header: epoch,train_loss,test_loss,test_acc,seconds,images_per_s
  while (std::getline(in, line)) {
    const std::vector<std::string> cells = csv_cells(line);
    ++done.epochs;
    if (cells.size() > 4) done.seconds.push_back(std::atof(cells[4].c_str()));
  }
  return done;
}

// Finished runs are skipped; a run saved part-way resumes; any other starts afresh (replacing
// a run killed before its first save).
Start start_of(const RunConfig& run) {
  if (finished_outcome(run)) return Start::skip;
  return fs::exists(run.out / "state.safetensors") ? Start::resume : Start::fresh;
}

void write_summary(const fs::path& out, const std::vector<PlannedRun>& plan) {
  std::string csv =
      "net,activation,lambda,epochs,reduction,input_scale,alpha_init,optimizer,lambda_scale,seed,test_acc,alpha1,"
      "alpha2,alpha3\n";
  for (const PlannedRun& run : plan) {
    const std::optional<Outcome> outcome = finished_outcome(run.config);
    if (!outcome) continue;
    const RunConfig& c = run.config;
    const bool alpha = c.activation == "alpha";
    csv += c.net + "," + c.activation + "," + (alpha ? lambda_text(c.lambda) : "") + "," + std::to_string(c.epochs) +
           "," + c.reduction + "," + c.input_scale + "," + (alpha ? lambda_text(c.alpha_init) : "") + "," +
           c.optimizer + "," + c.lambda_scale + "," + std::to_string(c.seed) + "," + outcome->test_acc + "," +
           outcome->alphas[0] + "," + outcome->alphas[1] + "," + outcome->alphas[2] + "\n";
  }
  write_file_atomically(out / "summary.csv", {std::as_bytes(std::span(csv))});
}

// The sweep directory.

namespace {

// Refuses (UsageError) controls `wanted` that would drop or change a run that `saved` plans:
// controls may only add runs to a sweep.
void check_controls_add(const fs::path& out, const nlohmann::json& saved, const nlohmann::json& wanted,
                        const std::string& changes) {
  SweepSettings before, after;
  apply_protocol(saved, before);
  apply_protocol(wanted, after);
  before.out = after.out = out;
  std::map<std::string, std::string> planned;
  for (const PlannedRun& run : plan_runs(after, 1)) planned[run.name] = run_config_json(run.config);
  for (const PlannedRun& run : plan_runs(before, 1)) {
    const auto it = planned.find(run.name);
    if (it != planned.end() && it->second == run_config_json(run.config)) continue;
    throw UsageError("--out " + out.string() + ": " + changes + " would " +
                     (it == planned.end() ? "drop" : "change the settings of") + " its run " + run.name +
                     ": controls can only add runs to a sweep; leave those options out to continue it, or start "
                     "it over with --force");
  }
}

}  // namespace

// The protocol of the sweep in `out`: the options `given` on the command line, the others as
// `saved` (its sweep.json) has them (control options it lacks, from before the controls, as
// their defaults).
// Refuses given options of the protocol that differ from sweep.json's, and given controls that
// do not only add runs.
nlohmann::json continued_protocol(const fs::path& out, nlohmann::json saved, const nlohmann::json& wanted,
                                  const std::map<std::string, std::string>& given) {
  const fs::path file = out / "sweep.json";
  if (!saved.contains("net")) saved["net"] = {report_net};  // sweeps started before --net existed
  const nlohmann::json defaults = protocol_json(SweepSettings{});
  nlohmann::json protocol = wanted;
  std::string differences, control_changes;
  for (const auto& [key, value] : wanted.items()) {
    if (!saved.contains(key)) {
      if (!is_control_key(key)) throw Error(file.string() + ": \"" + key + "\" is missing");
      saved[key] = defaults[key];
    }
    if (!given.contains(key) || saved[key] == value) {
      protocol[key] = saved[key];
      continue;
    }
    const std::string source = given.at(key) == "--quick" || given.at(key) == "--controls" ? " (from " + given.at(key) + ")" : "";
    const std::string change = flag_of(key) + " " + saved[key].dump() + " there, " + value.dump() + " here" + source;
    std::string& list = is_control_key(key) ? control_changes : differences;
    list += (list.empty() ? "" : "; ") + change;
  }
  if (!differences.empty())
    throw UsageError("--out " + out.string() + " holds a sweep with other settings (" + differences +
                     "): leave those options out to continue it, or start it over with --force");
  try {
    SweepSettings readable;
    apply_protocol(saved, readable);
    apply_protocol(protocol, readable);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not the settings of a linconv sweep (" + e.what() + ")");
  }
  if (!control_changes.empty()) check_controls_add(out, saved, protocol, control_changes);
  return protocol;
}

// A sweep continued without --jobs or --threads keeps those it was started with, so that its
// later runs get the same threads per run as its first (and give the same results).
void continue_execution(SweepSettings& s, bool jobs_given, bool threads_given) {
  if (!fs::exists(s.out / "sweep.json")) return;
  const nlohmann::json saved = read_json_object(s.out / "sweep.json");
  if (!jobs_given && saved.value("jobs", 0) >= 1) s.jobs = saved["jobs"];
  if (!threads_given && saved.value("threads", 0) >= 1) s.threads = saved["threads"].get<int>();
}

nlohmann::json prepare_directory(const SweepSettings& s, const std::map<std::string, std::string>& given,
                                 const nlohmann::json& execution, std::optional<FolderLock>& lock) {
  const nlohmann::json wanted = protocol_json(s);
  std::error_code ec;
  // A folder with nothing but the lock of a sweep killed before its sweep.json is still empty.
  const auto holds_other_files = [&] {
    for (const fs::directory_entry& entry : fs::directory_iterator(s.out, ec))
      if (entry.path().filename() != lock_file) return true;
    return false;
  };
  if (!fs::exists(s.out / "sweep.json") && fs::exists(s.out) && holds_other_files())
    throw UsageError("--out " + s.out.string() + " is not empty and holds no sweep.json: choose a new directory");
  fs::create_directories(s.out, ec);
  if (ec) throw Error("--out " + s.out.string() + ": cannot create directory: " + ec.message());
  lock.emplace(s.out, lock_file, "--out " + s.out.string());
  const bool is_sweep = fs::exists(s.out / "sweep.json");
  if (is_sweep && !s.force) {
    nlohmann::json settings = read_json_object(s.out / "sweep.json");
    const nlohmann::json protocol = continued_protocol(s.out, settings, wanted, given);
    // Controls added: sweep.json keeps them for the sweeps that continue this one (and is left
    // as it is otherwise, without the keys of controls it predates).
    const nlohmann::json defaults = protocol_json(SweepSettings{});
    if (!std::ranges::all_of(protocol.items(), [&](const auto& item) {
          return item.value() == (settings.contains(item.key()) ? settings[item.key()] : defaults[item.key()]);
        })) {
      settings.update(protocol);
      write_json_object(s.out / "sweep.json", settings);
    }
    return protocol;
  }
  if (is_sweep) {
    for (const char* entry : {"runs", "summary.csv", "sweep.json"}) fs::remove_all(s.out / entry, ec);
    if (ec) throw Error("--out " + s.out.string() + ": cannot remove the earlier sweep: " + ec.message());
  }
  fs::create_directories(s.out / "runs", ec);
  if (ec) throw Error("--out " + s.out.string() + ": cannot create directory: " + ec.message());
  nlohmann::json settings = wanted;
  settings.update(execution);
  write_json_object(s.out / "sweep.json", settings);
  return wanted;
}

}  // namespace linconv::cli
