// `linconv sweep --out DIR`: the report's whole protocol, one `linconv train` folder per run.
//   DIR/sweep.json    the settings; a later sweep into DIR continues with them
//   DIR/runs/<name>/  each run's train outputs (config.json, metrics.csv, epochs.csv, ...)
//   DIR/summary.csv   one row per finished run, in protocol order, rewritten as runs finish
// Runs train in this process (--jobs at once, --threads split between them), or shared out
// between the ranks of an MPI job. An interrupted sweep saves its runs under way; the next
// sweep into DIR resumes them and skips the finished ones.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "cluster.hpp"
#include "commands.hpp"
#include "linconv/atomic_file.hpp"
#include "report.hpp"
#include "train.hpp"

namespace linconv::cli {
namespace {

namespace fs = std::filesystem;

struct SweepSettings {
  // The protocol: what decides the runs and their results (sweep.json keeps it).
  std::vector<std::string> net{report_net};
  fs::path data = default_data_dir();
  std::vector<float> lambdas{0.1f, 0.3f, 0.5f, 0.7f, 0.9f, 2.0f, 5.0f};
  std::vector<float> long_lambdas{0.5f, 0.7f};
  int epochs = 3;
  int long_epochs = 12;
  int seeds = 3;
  std::uint64_t seed_base = 0;
  std::vector<std::string> reduction{"mean", "sum"};
  std::vector<std::string> input_scale{"unit"};
  std::optional<int> limit, test_limit;
  int batch = 100;
  float lr = 1e-3f;
  float alpha_init = 0.5f;
  // How this process runs it.
  fs::path out;
  bool quick = false;
  bool force = false;
  bool list = false;
  int jobs = 1;
  std::optional<int> threads;
};

nlohmann::json optional_json(const std::optional<int>& value) { return value ? nlohmann::json(*value) : nullptr; }
std::optional<int> optional_int(const nlohmann::json& value) {
  return value.is_null() ? std::nullopt : std::optional<int>(value.get<int>());
}

// The protocol as JSON; each key is its option's name without the dashes.
nlohmann::json protocol_json(const SweepSettings& s) {
  return {{"net", s.net},
          {"data", s.data.string()},      {"lambdas", s.lambdas},         {"long_lambdas", s.long_lambdas},
          {"epochs", s.epochs},           {"long_epochs", s.long_epochs}, {"seeds", s.seeds},
          {"seed_base", s.seed_base},     {"reduction", s.reduction},     {"input_scale", s.input_scale},
          {"limit", optional_json(s.limit)}, {"test_limit", optional_json(s.test_limit)},
          {"batch", s.batch},             {"lr", s.lr},                   {"alpha_init", s.alpha_init}};
}

void apply_protocol(const nlohmann::json& j, SweepSettings& s) {
  s.net = j.at("net").get<std::vector<std::string>>();
  s.data = j.at("data").get<std::string>();
  s.lambdas = j.at("lambdas").get<std::vector<float>>();
  s.long_lambdas = j.at("long_lambdas").get<std::vector<float>>();
  s.epochs = j.at("epochs");
  s.long_epochs = j.at("long_epochs");
  s.seeds = j.at("seeds");
  s.seed_base = j.at("seed_base");
  s.reduction = j.at("reduction").get<std::vector<std::string>>();
  s.input_scale = j.at("input_scale").get<std::vector<std::string>>();
  s.limit = optional_int(j.at("limit"));
  s.test_limit = optional_int(j.at("test_limit"));
  s.batch = j.at("batch");
  s.lr = j.at("lr");
  s.alpha_init = j.at("alpha_init");
}

std::string flag_of(const std::string& key) {
  std::string flag = "--" + key;
  std::ranges::replace(flag, '_', '-');
  return flag;
}

// --quick: a small training subset, one epoch, one seed, two lambdas and a two-epoch "long" run,
// for the options the command line does not set. `given` maps each set key to where it came from.
void apply_quick(SweepSettings& s, std::map<std::string, std::string>& given) {
  auto set = [&](const std::string& key, auto& field, auto value) {
    if (given.contains(key)) return;
    field = value;
    given[key] = "--quick";
  };
  set("limit", s.limit, std::optional<int>(2000));
  set("test_limit", s.test_limit, std::optional<int>(2000));
  set("epochs", s.epochs, 1);
  set("long_epochs", s.long_epochs, 2);
  set("seeds", s.seeds, 1);
  set("lambdas", s.lambdas, std::vector<float>{0.5f, 2.0f});
  set("long_lambdas", s.long_lambdas, std::vector<float>{0.5f});
}

// ---------------------------------------------------------------------------------------------
// The runs.

struct PlannedRun {
  std::string name;
  TrainConfig config;
};

std::string lambda_text(float lambda) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", lambda);
  return text;
}

std::string run_name(const TrainConfig& c) {
  return net_prefix(c.net) + c.activation + (c.activation == "alpha" ? "-l" + lambda_text(c.lambda) : "") + "-e" +
         std::to_string(c.epochs) + "-" + c.reduction + "-" + c.input_scale + "-s" + std::to_string(c.seed);
}

// The first attempt's runs test one claim of the course report (ReLU and linear as accurate):
// they need the two baselines, and ReLU_alpha at this lambda shows where its alphas go.
constexpr float first_attempt_lambda = 0.5f;

struct RunKind {
  std::string activation;
  float lambda;
  int epochs;
};

// What the sweep runs of a network: the report's network the whole protocol (the ReLU and linear
// baselines, ReLU_alpha for each lambda, then the long runs); the first attempt the baselines and
// ReLU_alpha at first_attempt_lambda, over --epochs.
std::vector<RunKind> kinds_of(const std::string& net, const SweepSettings& s) {
  std::vector<RunKind> kinds{{"relu", 0.0f, s.epochs}, {"linear", 0.0f, s.epochs}};
  if (net == first_attempt_net) {
    kinds.push_back({"alpha", first_attempt_lambda, s.epochs});
    return kinds;
  }
  for (float lambda : s.lambdas) kinds.push_back({"alpha", lambda, s.epochs});
  for (float lambda : s.long_lambdas) kinds.push_back({"alpha", lambda, s.long_epochs});
  return kinds;
}

// Protocol order: for each network, reduction and input scale, the network's kinds of run
// (kinds_of), each for every seed. A run named twice (--long-epochs equal to --epochs) is
// planned once.
std::vector<PlannedRun> plan_runs(const SweepSettings& s, int threads_per_run) {
  std::vector<PlannedRun> runs;
  std::set<std::string> names;
  for (const std::string& net : s.net)
    for (const std::string& reduction : s.reduction)
      for (const std::string& scale : s.input_scale)
        for (const RunKind& kind : kinds_of(net, s))
          for (int k = 0; k < s.seeds; ++k) {
            TrainConfig c{.data = s.data, .net = net, .activation = kind.activation, .lambda = kind.lambda,
                          .epochs = kind.epochs, .batch = s.batch, .lr = s.lr, .alpha_init = s.alpha_init,
                          .reduction = reduction, .input_scale = scale, .seed = s.seed_base + std::uint64_t(k),
                          .threads = threads_per_run, .limit = s.limit, .test_limit = s.test_limit};
            const std::string name = run_name(c);
            c.out = s.out / "runs" / name;
            if (names.insert(name).second) runs.push_back({name, std::move(c)});
          }
  return runs;
}

// The share of `rank` among `ranks`: longest runs first, each to the rank with the least work
// so far (the lowest on a tie), so every rank computes the same assignment.
std::vector<const PlannedRun*> share_of(const std::vector<PlannedRun>& plan, int rank, int ranks) {
  std::vector<const PlannedRun*> by_length;
  for (const PlannedRun& run : plan) by_length.push_back(&run);
  std::ranges::stable_sort(by_length, std::greater{}, [](const PlannedRun* r) { return r->config.epochs; });
  std::vector<long> load(ranks, 0);
  std::vector<const PlannedRun*> mine;
  for (const PlannedRun* run : by_length) {
    const auto least = std::ranges::min_element(load) - load.begin();
    load[least] += run->config.epochs;
    if (least == rank) mine.push_back(run);
  }
  return mine;
}

// ---------------------------------------------------------------------------------------------
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

// A finished run's result as its files state it (the text of their cells, so the summary holds
// exactly what the run wrote): finished when epochs.csv ends with the last epoch and the
// model is saved.
struct Outcome {
  std::string test_acc;
  std::array<std::string, 3> alphas;  // empty for fixed activations
};

std::optional<Outcome> finished_outcome(const TrainConfig& run) {
  if (!fs::exists(run.out / "model.safetensors")) return std::nullopt;
  const std::vector<std::string> epoch = csv_cells(last_line(run.out / "epochs.csv"));
  if (epoch.size() < 4 || epoch[0] != std::to_string(run.epochs)) return std::nullopt;
  const std::vector<std::string> step = csv_cells(last_line(run.out / "metrics.csv"));
  Outcome outcome{epoch[3], {}};
  for (std::size_t k = 0; k < 3 && 5 + k < step.size(); ++k) outcome.alphas[k] = step[5 + k];
  return outcome;
}

enum class Start { skip, resume, fresh };

// Finished runs are skipped; a run saved part-way resumes; any other starts afresh (replacing
// a run killed before its first save).
Start start_of(const TrainConfig& run) {
  if (finished_outcome(run)) return Start::skip;
  return fs::exists(run.out / "state.safetensors") ? Start::resume : Start::fresh;
}

void write_summary(const fs::path& out, const std::vector<PlannedRun>& plan) {
  std::string csv = "net,activation,lambda,epochs,reduction,input_scale,seed,test_acc,alpha1,alpha2,alpha3\n";
  for (const PlannedRun& run : plan) {
    const std::optional<Outcome> outcome = finished_outcome(run.config);
    if (!outcome) continue;
    const TrainConfig& c = run.config;
    csv += c.net + "," + c.activation + "," + (c.activation == "alpha" ? lambda_text(c.lambda) : "") + "," +
           std::to_string(c.epochs) + "," + c.reduction + "," + c.input_scale + "," + std::to_string(c.seed) + "," +
           outcome->test_acc + "," + outcome->alphas[0] + "," + outcome->alphas[1] + "," + outcome->alphas[2] + "\n";
  }
  write_file_atomically(out / "summary.csv", {std::as_bytes(std::span(csv))});
}

// ---------------------------------------------------------------------------------------------
// The sweep directory.

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!in || !j.is_object()) throw Error(file.string() + ": cannot read it as a JSON object");
  return j;
}

void write_json(const fs::path& file, const nlohmann::json& j) {
  const std::string text = j.dump(2) + "\n";
  write_file_atomically(file, {std::as_bytes(std::span(text))});
}

// The protocol of the sweep in `out`: the options `given` on the command line, the others as
// sweep.json has them. Refuses given options that differ from sweep.json's.
nlohmann::json continued_protocol(const fs::path& out, const nlohmann::json& wanted,
                                  const std::map<std::string, std::string>& given) {
  const fs::path file = out / "sweep.json";
  nlohmann::json saved = read_json(file);
  if (!saved.contains("net")) saved["net"] = {report_net};  // sweeps started before --net existed
  nlohmann::json protocol = wanted;
  std::string differences;
  for (const auto& [key, value] : wanted.items()) {
    if (!saved.contains(key)) throw Error(file.string() + ": \"" + key + "\" is missing");
    if (!given.contains(key) || saved[key] == value) {
      protocol[key] = saved[key];
      continue;
    }
    const std::string source = given.at(key) == "--quick" ? " (from --quick)" : "";
    differences += (differences.empty() ? "" : "; ") + flag_of(key) + " " + saved[key].dump() + " there, " +
                   value.dump() + " here" + source;
  }
  if (!differences.empty())
    throw UsageError("--out " + out.string() + " holds a sweep with other settings (" + differences +
                     "): leave those options out to continue it, or start it over with --force");
  try {
    SweepSettings readable;
    apply_protocol(protocol, readable);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not the settings of a linconv sweep (" + e.what() + ")");
  }
  return protocol;
}

// A sweep continued without --jobs or --threads keeps those it was started with, so that its
// later runs get the same threads per run as its first (and give the same results).
void continue_execution(SweepSettings& s, bool jobs_given, bool threads_given) {
  if (!fs::exists(s.out / "sweep.json")) return;
  const nlohmann::json saved = read_json(s.out / "sweep.json");
  if (!jobs_given && saved.value("jobs", 0) >= 1) s.jobs = saved["jobs"];
  if (!threads_given && saved.value("threads", 0) >= 1) s.threads = saved["threads"].get<int>();
}

// Rank 0: makes `out` a sweep directory, or continues the one it is, and returns the protocol.
nlohmann::json prepare_directory(const SweepSettings& s, const std::map<std::string, std::string>& given,
                                 const nlohmann::json& execution) {
  const nlohmann::json wanted = protocol_json(s);
  const bool is_sweep = fs::exists(s.out / "sweep.json");
  if (is_sweep && !s.force) return continued_protocol(s.out, wanted, given);
  std::error_code ec;
  if (is_sweep) {
    for (const char* entry : {"runs", "summary.csv", "sweep.json"}) fs::remove_all(s.out / entry, ec);
    if (ec) throw Error("--out " + s.out.string() + ": cannot remove the earlier sweep: " + ec.message());
  } else if (fs::exists(s.out) && !fs::is_empty(s.out, ec)) {
    throw UsageError("--out " + s.out.string() + " is not empty and holds no sweep.json: choose a new directory");
  }
  fs::create_directories(s.out / "runs", ec);
  if (ec) throw Error("--out " + s.out.string() + ": cannot create directory: " + ec.message());
  nlohmann::json settings = wanted;
  settings.update(execution);
  write_json(s.out / "sweep.json", settings);
  return wanted;
}

// ---------------------------------------------------------------------------------------------
// Training this process's share.

// Whole lines from concurrent runs: "[done/total] text", prefixed by the rank under MPI.
class Console {
 public:
  Console(std::string prefix, std::size_t total) : prefix_(std::move(prefix)), total_(total) {}
  void note(const std::string& text) {
    std::printf("%s%s\n", prefix_.c_str(), text.c_str());
    std::fflush(stdout);
  }
  void finished(const std::string& text) {
    const std::lock_guard lock(mutex_);
    note("[" + std::to_string(++done_) + "/" + std::to_string(total_) + "] " + text);
  }

 private:
  std::mutex mutex_;
  std::string prefix_;
  std::size_t total_, done_ = 0;
};

std::string outcome_text(const Outcome& outcome) {
  char cell[32];
  std::snprintf(cell, sizeof cell, "test_acc %.4f", std::stod(outcome.test_acc));
  std::string text = cell;
  if (outcome.alphas[0].empty()) return text;
  text += "  alphas";
  for (const std::string& alpha : outcome.alphas) {
    std::snprintf(cell, sizeof cell, " %.3f", std::stod(alpha));
    text += cell;
  }
  return text;
}

struct Tally {
  std::atomic<long> failed{0}, interrupted{0};
};

// Trains one run (fresh or resumed) and says how it ended; never throws.
void train_one(const PlannedRun& run, const TrainingData& data, Console& console, Tally& tally) {
  const auto start = std::chrono::steady_clock::now();
  std::string note;
  try {
    const bool resume = start_of(run.config) == Start::resume;
    TrainConfig config = resume ? config_of_run(run.config.out) : run.config;
    config.force = true;
    train_run(config, resume, data, false);
    const std::optional<Outcome> outcome = finished_outcome(run.config);
    if (!outcome) throw Error(run.config.out.string() + ": the run ended without its last epoch");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char time[32];
    std::snprintf(time, sizeof time, "  %.0f s", seconds);
    note = run.name + (resume ? " (resumed)  " : "  ") + outcome_text(*outcome) + time;
  } catch (const Interrupted&) {
    ++tally.interrupted;
    note = run.name + "  interrupted: saved, to resume";
  } catch (const std::exception& e) {
    ++tally.failed;
    note = run.name + "  failed: " + e.what();
  }
  console.finished(note);
}

// Trains `runs` in order, `jobs` at a time, calling after_each() when one finishes. Stops
// starting runs once a signal has come.
void train_share(const std::vector<const PlannedRun*>& runs, int jobs, const TrainingData& data, Console& console,
                 Tally& tally, const std::function<void()>& after_each) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; interrupt_signal() == 0 && (i = next++) < runs.size();) {
      train_one(*runs[i], data, console, tally);
      after_each();
    }
  };
  std::vector<std::jthread> helpers;
  for (int j = 1; j < std::min<int>(jobs, int(runs.size())); ++j) helpers.emplace_back(work);
  work();
}

// Rank 0, at the end: the summary, whether every run finished, and then the report.
void conclude(const SweepSettings& s, const std::vector<PlannedRun>& plan, long failed, long interrupted,
              int signal) {
  write_summary(s.out, plan);
  std::vector<std::string> unfinished;
  for (const PlannedRun& run : plan)
    if (!finished_outcome(run.config)) unfinished.push_back(run.name);
  const std::string counts = std::to_string(plan.size() - unfinished.size()) + " of " +
                             std::to_string(plan.size()) + " runs finished";
  const fs::path summary = s.out / "summary.csv";
  if (unfinished.empty()) {
    write_report(s.out);
    std::printf("sweep: %s; wrote %s and %s\n", counts.c_str(), summary.c_str(), (s.out / "report.md").c_str());
    return;
  }
  if (interrupted > 0 || signal != 0)
    throw Interrupted(std::string("interrupted by ") + signal_name(signal) + ": " + counts +
                      ", those under way saved; continue with: linconv sweep --out " + s.out.string());
  throw Error(std::to_string(unfinished.size()) + " of " + std::to_string(plan.size()) + " runs did not finish (" +
              unfinished.front() + (unfinished.size() > 1 ? ", ..." : "") + "; " + std::to_string(failed) +
              " failed, see above); " + summary.string() + " lists the others; linconv sweep --out " +
              s.out.string() + " tries them again");
}

// --list: the runs of the sweep into s.out and where each stands; writes nothing.
void list_runs(SweepSettings s, const std::map<std::string, std::string>& given) {
  if (fs::exists(s.out / "sweep.json")) apply_protocol(continued_protocol(s.out, protocol_json(s), given), s);
  const std::vector<PlannedRun> plan = plan_runs(s, 1);
  std::array<int, 3> counts{};
  for (const PlannedRun& run : plan) {
    const Start start = start_of(run.config);
    ++counts[std::size_t(start)];
    std::printf("%-40s %-16s %s\n", run.name.c_str(), run.config.net.c_str(),
                start == Start::skip ? "finished" : start == Start::resume ? "saved part-way" : "to train");
  }
  std::printf("%zu runs: %d finished, %d saved part-way, %d to train\n", plan.size(), counts[0], counts[1], counts[2]);
}

void sweep(SweepSettings s, const std::map<std::string, std::string>& given) {
  if (s.list) return list_runs(std::move(s), given);
  Cluster cluster;
  const int threads = s.threads.value_or(std::max(1, default_threads() / cluster.local_size()));
  const int threads_per_run = std::max(1, threads / s.jobs);
  const nlohmann::json execution{{"quick", s.quick}, {"jobs", s.jobs}, {"threads", threads}, {"ranks", cluster.size()}};
  std::string protocol;
  cluster.together(false, [&] { protocol = prepare_directory(s, given, execution).dump(); });
  apply_protocol(nlohmann::json::parse(cluster.broadcast(protocol)), s);

  const std::vector<PlannedRun> plan = plan_runs(s, threads_per_run);
  const std::vector<const PlannedRun*> share = share_of(plan, cluster.rank(), cluster.size());
  std::vector<const PlannedRun*> todo;
  for (const PlannedRun* run : share)
    if (start_of(run->config) != Start::skip) todo.push_back(run);
  const bool root = cluster.rank() == 0;
  const std::string prefix = cluster.size() > 1 ? "rank " + std::to_string(cluster.rank()) + ": " : "";
  Console console(prefix, todo.size());
  if (root) console.note("sweep " + s.out.string() + ": " + std::to_string(plan.size()) + " runs");
  const std::string skipped = std::to_string(share.size() - todo.size()) + " finished already (skipped)";
  if (share.empty())
    console.note("no runs for this rank: there are more ranks than runs");
  else if (todo.empty())
    console.note("nothing to train: " + skipped);
  else
    console.note(std::to_string(todo.size()) + " to train, " + skipped + "; " +
                 std::to_string(std::min<std::size_t>(s.jobs, todo.size())) + " at once, " +
                 std::to_string(threads_per_run) + " thread" + (threads_per_run == 1 ? "" : "s") + " each");

  const InterruptHandler interrupts;
  Tally tally;
  std::mutex summary;
  cluster.together(true, [&] {
    if (todo.empty()) return;
    const TrainingData data = load_training_data(s.data);
    check_image_counts(todo.front()->config, data);
    train_share(todo, s.jobs, data, console, tally, [&] {
      if (!root) return;
      const std::lock_guard lock(summary);
      try {
        write_summary(s.out, plan);
      } catch (const Error&) {
        // The runs go on; the summary written at the end reports a lasting problem.
      }
    });
  });
  const long failed = cluster.sum(tally.failed), interrupted = cluster.sum(tally.interrupted);
  const int signal = int(cluster.max(interrupt_signal()));
  cluster.together(false, [&] { conclude(s, plan, failed, interrupted, signal); });
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto s = std::make_shared<SweepSettings>();
  CLI::App* cmd = app.add_subcommand("sweep", "Run the report's whole protocol, every run into one directory");
  cmd->footer(
      "Protocol, for each --net: the ReLU (alpha fixed at 1) and linear (alpha fixed at 0) baselines and, for\n"
      "fashion (the report's network), ReLU_alpha for each of --lambdas over --epochs and for each of\n"
      "--long-lambdas over --long-epochs; for fashion-bn-pool (its first attempt, which the report discarded\n"
      "because ReLU and linear were as accurate there) ReLU_alpha at lambda 0.5 over --epochs only, what that\n"
      "claim needs. All for every seed, --reduction and --input-scale.\n"
      "DIR/runs/<name>/ holds each run's `linconv train` outputs (e.g. alpha-l0.5-e3-mean-unit-s0, and\n"
      "bnpool-relu-e3-mean-unit-s0 for fashion-bn-pool);\n"
      "DIR/summary.csv one row per finished run; DIR/sweep.json the settings.\n"
      "Run again into the same DIR, a sweep continues: finished runs are skipped, interrupted ones resume,\n"
      "options left out keep DIR's settings and options that differ from them are refused.\n"
      "Under mpirun, a linconv built with MPI shares the runs out between the ranks (DIR on a file system\n"
      "they all see); rank 0 writes the summary.");
  cmd->add_option("--out", s->out, "Sweep directory")->required()->type_name("DIR");
  std::map<std::string, CLI::Option*> protocol_options;
  auto protocol = [&](const std::string& key, auto& field, const std::string& help) {
    CLI::Option* option = cmd->add_option(flag_of(key), field, help);
    protocol_options[key] = option;
    return option;
  };
  protocol("net", s->net, "Networks to run: fashion (the report's) and/or fashion-bn-pool (its first attempt)")
      ->delimiter(',')
      ->check(one_of(net_names()))
      ->default_str(report_net);
  protocol("data", s->data, "FashionMNIST directory (also $LINCONV_DATA)")->type_name("DIR")->capture_default_str();
  protocol("lambdas", s->lambdas, "Penalty weights of the ReLU_alpha runs of --epochs epochs")
      ->delimiter(',')
      ->check(at_least(0))
      ->default_str("0.1,0.3,0.5,0.7,0.9,2,5");
  protocol("long_lambdas", s->long_lambdas, "Penalty weights of the ReLU_alpha runs of --long-epochs epochs")
      ->delimiter(',')
      ->check(at_least(0))
      ->default_str("0.5,0.7");
  protocol("epochs", s->epochs, "Epochs of the baselines and of the --lambdas runs")
      ->check(at_least(1))
      ->capture_default_str();
  protocol("long_epochs", s->long_epochs, "Epochs of the --long-lambdas runs")->check(at_least(1))->capture_default_str();
  protocol("seeds", s->seeds, "Seeds of every run (--seed-base, +1, ...)")->check(at_least(1))->capture_default_str();
  protocol("seed_base", s->seed_base, "First seed")->capture_default_str();
  protocol("reduction", s->reduction, "Cross-entropy reductions to run, mean and/or sum")
      ->delimiter(',')
      ->check(one_of({"mean", "sum"}))
      ->default_str("mean,sum");
  protocol("input_scale", s->input_scale, "Input scales to run, unit (pixels / 255) and/or raw (0..255)")
      ->delimiter(',')
      ->check(one_of({"unit", "raw"}))
      ->default_str("unit");
  protocol("limit", s->limit, "Train on the first N training images only")->check(at_least(1));
  protocol("test_limit", s->test_limit, "Evaluate each epoch on the first N test images only")->check(at_least(1));
  protocol("batch", s->batch, "Images per optimiser step")->check(at_least(1))->capture_default_str();
  protocol("lr", s->lr, "Adam learning rate")->check(at_least(0))->capture_default_str();
  protocol("alpha_init", s->alpha_init, "Initial value of every alpha")->capture_default_str();
  cmd->add_flag("--quick", s->quick,
                "A quick look: --limit 2000 --test-limit 2000 --epochs 1 --long-epochs 2 --seeds 1 --lambdas 0.5,2 "
                "--long-lambdas 0.5, except where given");
  CLI::Option* jobs = cmd->add_option("--jobs", s->jobs,
                                      "Runs to train at once; --threads are split between them (default: 1, or "
                                      "what the sweep in DIR was started with)")
                          ->check(at_least(1));
  CLI::Option* threads = cmd->add_option("--threads", s->threads,
                  "Threads of this process (default: every core; under MPI, the cores over the ranks on the "
                  "machine); each run gets --threads / --jobs, and runs with the same count give bit-identical "
                  "results")
      ->check(at_least(1));
  cmd->add_flag("--force", s->force, "Start the sweep in DIR over: delete its runs and summary first");
  cmd->add_flag("--list", s->list, "Print the runs in protocol order and where each stands, and exit");
  cmd->callback([s, protocol_options, jobs, threads] {
    std::map<std::string, std::string> given;
    for (const auto& [key, option] : protocol_options)
      if (option->count() > 0) given[key] = flag_of(key);
    if (s->quick) apply_quick(*s, given);
    if (!s->force) continue_execution(*s, jobs->count() > 0, threads->count() > 0);
    sweep(*s, given);
  });
}

}  // namespace linconv::cli
