// `linconv sweep --out DIR`: the report's whole protocol, one `linconv train` folder per run.
//   DIR/sweep.json    the settings; a later sweep into DIR continues with them
//   DIR/runs/<name>/  each run's train outputs (config.json, metrics.csv, epochs.csv, ...)
//   DIR/summary.csv   one row per finished run, in protocol order, rewritten as runs finish
// Runs train in this process (--jobs at once, --threads split between them), or shared out
// between the ranks of an MPI job. An interrupted sweep saves its runs under way; the next
// sweep into DIR resumes them and skips the finished ones.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "cluster.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "net_names.hpp"
#include "report.hpp"
#include "statistics.hpp"
#include "study.hpp"
#include "sweep.hpp"
#include "train.hpp"

namespace linconv::cli {
namespace {

namespace fs = std::filesystem;

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
  std::string text = format("test_acc %.4f", std::stod(outcome.test_acc));
  if (outcome.alphas[0].empty()) return text;
  text += "  alphas";
  for (const std::string& alpha : outcome.alphas) text += format(" %.3f", std::stod(alpha));
  return text;
}

struct Tally {
  std::atomic<long> failed{0}, interrupted{0};
};

// Trains one run (fresh or resumed) and says how it ended; never throws.
void train_one(const NetworkList& networks, const PlannedRun& run, const TrainingData& data, Console& console,
               Tally& tally) {
  const auto start = std::chrono::steady_clock::now();
  std::string note;
  try {
    const bool resume = start_of(run.config) == Start::resume;
    RunConfig config = resume ? read_run_config(run.config.out, report_net) : run.config;
    config.force = true;
    train_run(networks, config, resume, data, false);
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
void train_share(const NetworkList& networks, const std::vector<const PlannedRun*>& runs, int jobs,
                 const TrainingData& data, Console& console, Tally& tally, const std::function<void()>& after_each) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; interrupt_signal() == 0 && (i = next++) < runs.size();) {
      train_one(networks, *runs[i], data, console, tally);
      after_each();
    }
  };
  std::vector<std::jthread> helpers;
  try {
    for (int j = 1; j < std::min<int>(jobs, int(runs.size())); ++j) helpers.emplace_back(work);
  } catch (const std::system_error& e) {
    const std::size_t started = helpers.size();
    next = runs.size();  // the helpers started finish their runs and start no others
    helpers.clear();     // joins them
    throw Error("cannot start the thread of job " + std::to_string(started + 2) + " of " + std::to_string(jobs) +
                ": " + e.what());
  }
  work();
}

// Rank 0, at the end: the summary, whether every run finished, and then the report.
void conclude(const NetworkList& networks, const SweepSettings& s, const std::vector<PlannedRun>& plan, long failed, long interrupted,
              int signal) {
  write_summary(s.out, plan);
  std::vector<std::string> unfinished;
  for (const PlannedRun& run : plan)
    if (!finished_outcome(run.config)) unfinished.push_back(run.name);
  const std::string counts = std::to_string(plan.size() - unfinished.size()) + " of " +
                             std::to_string(plan.size()) + " runs finished";
  const fs::path summary = s.out / "summary.csv";
  if (unfinished.empty()) {
    write_report(networks, s.out);
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

// "3 h 20 min", "12 min"
std::string hours_minutes_text(double seconds) {
  const long minutes = std::lround(seconds / 60.0);
  return minutes >= 60 ? std::to_string(minutes / 60) + " h " + std::to_string(minutes % 60) + " min"
                       : std::to_string(minutes) + " min";
}

// --list: the runs of the sweep into s.out and where each stands, and the training time left at
// the median time of the epochs done so far (on the threads per run they had), --jobs runs at a
// time; writes nothing. The median, because an epoch's seconds are wall time: the few epochs
// that ran beside a build, or while the sweep was stopped (SIGSTOP), would pull a mean up.
void list_runs(SweepSettings s, const std::map<std::string, std::string>& given) {
  if (fs::exists(s.out / "sweep.json"))
    apply_protocol(continued_protocol(s.out, read_json_object(s.out / "sweep.json"), protocol_json(s), given), s);
  const std::vector<PlannedRun> plan = plan_runs(s, 1);
  std::array<int, 3> counts{};
  long epochs_left = 0;
  std::vector<double> epoch_seconds;
  for (const PlannedRun& run : plan) {
    const Start start = start_of(run.config);
    ++counts[std::size_t(start)];
    const EpochsDone done = start == Start::fresh ? EpochsDone{} : epochs_done(run.config);
    if (start != Start::skip) epochs_left += std::max(0, run.config.epochs - done.epochs);
    epoch_seconds.insert(epoch_seconds.end(), done.seconds.begin(), done.seconds.end());
    std::printf("%-40s %-16s %s\n", run.name.c_str(), run.config.net.c_str(),
                start == Start::skip ? "finished" : start == Start::resume ? "saved part-way" : "to train");
  }
  std::printf("%zu runs: %d finished, %d saved part-way, %d to train\n", plan.size(), counts[0], counts[1], counts[2]);
  const std::string left = std::to_string(epochs_left) + " epochs to train";
  if (epoch_seconds.empty()) {
    std::printf("%s (no epoch done yet to time)\n", left.c_str());
    return;
  }
  const double epoch = median(epoch_seconds);
  std::printf("%s: about %s at %.0f s an epoch (the median of the %zu done), %s\n", left.c_str(),
              hours_minutes_text(double(epochs_left) * epoch / s.jobs).c_str(), epoch, epoch_seconds.size(),
              s.jobs == 1 ? "one run at a time" : (std::to_string(s.jobs) + " runs at a time").c_str());
}

void sweep(const NetworkList& networks, SweepSettings s, const std::map<std::string, std::string>& given) {
  if (s.list) return list_runs(std::move(s), given);
  Cluster cluster;
  const int threads = s.threads.value_or(std::max(1, default_thread_count() / cluster.local_size()));
  const int threads_per_run = std::max(1, threads / s.jobs);
  const nlohmann::json execution{{"quick", s.quick}, {"jobs", s.jobs}, {"threads", threads}, {"ranks", cluster.size()}};
  std::string protocol;
  std::optional<FolderLock> directory_lock;  // rank 0's, for the whole sweep
  cluster.together(false, [&] { protocol = prepare_directory(s, given, execution, directory_lock).dump(); });
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

  const InterruptHandler interrupts(networks.program());
  Tally tally;
  std::mutex summary;
  cluster.together(true, [&] {
    if (todo.empty()) return;
    const TrainingData data = load_training_data(s.data);
    check_image_counts(todo.front()->config, data);
    train_share(networks, todo, s.jobs, data, console, tally, [&] {
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
  cluster.together(false, [&] { conclude(networks, s, plan, failed, interrupted, signal); });
}

}  // namespace

void add_sweep_command(CLI::App& app, const NetworkList& networks) {
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
      "Controls, of fashion, planned after the protocol into the same DIR/runs, each off by default:\n"
      "--extra-seeds, --long-seeds with --long-baselines, --raw-lambdas, --alpha-inits, --scaled-lambdas,\n"
      "--sgd-lambdas; --controls turns on the study's whole set. A control's run is named after the protocol's\n"
      "with what it changes before the seed: -ai<alpha init>, -ls (scaled penalty), -sgd\n"
      "(e.g. alpha-l0.5-e3-sum-unit-ai1.1-s0); where its settings are a protocol run's, that run is reused.\n"
      "Run again into the same DIR, a sweep continues: finished runs are skipped, interrupted ones resume,\n"
      "options left out keep DIR's settings and options that differ from them are refused, except controls\n"
      "that add runs: `linconv sweep --out DIR --controls` adds the controls to a sweep started without.\n"
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
      ->check(one_of(networks.net_names()))
      ->default_str(report_net);
  protocol("data", s->data, "FashionMNIST directory (also $LINCONV_DATA)")->type_name("DIR")->capture_default_str();
  protocol("lambdas", s->lambdas, "Penalty weights of the ReLU_alpha runs of --epochs epochs")
      ->delimiter(',')
      ->check(finite_float(Bound::at_least, 0))
      ->default_str("0.1,0.3,0.5,0.7,0.9,2,5");
  protocol("long_lambdas", s->long_lambdas, "Penalty weights of the ReLU_alpha runs of --long-epochs epochs")
      ->delimiter(',')
      ->check(finite_float(Bound::at_least, 0))
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
  protocol("batch", s->batch, "Images per optimiser step (at most the training images used)")
      ->check(at_least(1))
      ->capture_default_str();
  protocol("lr", s->lr, "Adam learning rate (greater than 0)")->check(finite_float(Bound::above, 0))->capture_default_str();
  protocol("alpha_init", s->alpha_init, "Initial value of every alpha")->check(finite_float())->capture_default_str();
  protocol("extra_seeds", s->extra_seeds,
           "More seeds for ReLU_alpha settings over --epochs, as REDUCTION:LAMBDA=N (its seeds become --seed-base "
           "and the N-1 after it, reusing the protocol's), e.g. mean:0.1=10,sum:2=10")
      ->delimiter(',')
      ->type_name("REDUCTION:LAMBDA=N")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return valid_extra_seeds(text) ? "" : "must be REDUCTION:LAMBDA=N (mean or sum, a lambda >= 0, 1 to 1000 "
                                                  "seeds), got " + text;
          },
          "", "extra_seeds"));
  protocol("long_seeds", s->long_seeds, "Seeds of the --long-lambdas runs and the long baselines (default: --seeds)")
      ->check(at_least(1));
  protocol_options["long_baselines"] =
      cmd->add_flag("--long-baselines", s->long_baselines, "ReLU and linear over --long-epochs too");
  protocol("raw_lambdas", s->raw_lambdas,
           "Raw input (0..255) for every --reduction: the baselines and ReLU_alpha at these lambdas")
      ->delimiter(',')
      ->check(finite_float(Bound::at_least, 0));
  protocol("alpha_inits", s->alpha_inits,
           "Sum reduction: ReLU_alpha from each of these initial alphas at each of --alpha-init-lambdas")
      ->delimiter(',')
      ->check(finite_float());
  protocol("alpha_init_lambdas", s->alpha_init_lambdas,
           "Lambdas of the --alpha-inits runs; 0.5 is where the course report's alphas end near 1 (its Fig. 5-6 and "
           "11-12) and where sum reduction's alpha3 reaches 1 and stays: whether 1 attracts from either side")
      ->delimiter(',')
      ->check(finite_float(Bound::at_least, 0))
      ->default_str("0.5");
  protocol("scaled_lambdas", s->scaled_lambdas,
           "Sum reduction with the penalty scaled by the batch (train --lambda-scale reduction): ReLU_alpha at "
           "these lambdas, to compare with mean reduction at the same lambda")
      ->delimiter(',')
      ->check(finite_float(Bound::at_least, 0));
  protocol("sgd_lambdas", s->sgd_lambdas,
           "Plain SGD (train --optimizer sgd --lr --sgd-lr) under mean reduction: the baselines and ReLU_alpha at "
           "these lambdas. Under sum the cross-entropy's gradient is the batch times mean's: SGD at the same lr "
           "diverges, and at lr / batch it is SGD under mean with lambda / batch, nothing new; so not run")
      ->delimiter(',')
      ->check(finite_float(Bound::at_least, 0));
  protocol("sgd_lr", s->sgd_lr,
           "Learning rate of the --sgd-lambdas runs: the best of 0.01, 0.02, 0.05 after 200 steps of ReLU (74% "
           "test accuracy; 0.05 oscillates, 0.2 diverges); alphas then fall by lr * lambda a step where the "
           "penalty dominates")
      ->check(finite_float(Bound::above, 0))
      ->capture_default_str();
  cmd->add_flag("--controls", s->controls,
                "The study's controls, except where given: --extra-seeds mean:0.1=10,sum:2=10,sum:5=10 --long-seeds 5 "
                "--long-baselines --raw-lambdas 0.1,0.5,2 --alpha-inits 0.9,1,1.1 --scaled-lambdas <--lambdas> "
                "--sgd-lambdas 0.1,0.5,2");
  cmd->add_flag("--quick", s->quick,
                "A quick look: --limit 2000 --test-limit 2000 --epochs 1 --long-epochs 2 --seeds 1 --lambdas 0.5,2 "
                "--long-lambdas 0.5, except where given");
  CLI::Option* jobs = cmd->add_option("--jobs", s->jobs,
                                      "Runs to train at once; --threads are split between them (default: 1, or "
                                      "what the sweep in DIR was started with; at most " +
                                          std::to_string(max_thread_count()) + ")")
                          ->check(thread_count());
  CLI::Option* threads = cmd->add_option("--threads", s->threads,
                  "Threads of this process (default: every core; under MPI, the cores over the ranks on the "
                  "machine; at most " + std::to_string(max_thread_count()) +
                      "); each run gets --threads / --jobs, and runs with the same count give bit-identical results")
      ->check(thread_count());
  cmd->add_flag("--force", s->force, "Start the sweep in DIR over: delete its runs and summary first");
  cmd->add_flag("--list", s->list,
                "Print the runs in protocol order and where each stands, and the training time left, and exit");
  cmd->callback([s, protocol_options, jobs, threads, &networks] {
    std::map<std::string, std::string> given;
    for (const auto& [key, option] : protocol_options)
      if (option->count() > 0) given[key] = flag_of(key);
    if (s->quick) apply_quick(*s, given);
    if (s->controls) apply_controls(*s, given);
    if (!s->force) continue_execution(*s, jobs->count() > 0, threads->count() > 0);
    sweep(networks, *s, given);
  });
}

}  // namespace linconv::cli

