// `linconv sweep` as users run it: the quick protocol end to end (every run folder and summary
// row, with sane values), interrupted and continued, then skipped when run again; with the
// first attempt (--net fashion-bn-pool) too, and its report section; the same sweep under
// `mpirun -np 2` gives the same results as `--jobs 2`; usage errors.
#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <cmath>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/cli.hpp"

namespace {

using namespace linconv::testing;
using Catch::Contains;

const std::string summary_header =
    "net,activation,lambda,epochs,reduction,input_scale,alpha_init,optimizer,lambda_scale,seed,test_acc,alpha1,alpha2,"
    "alpha3";
// summary.csv's columns by name.
namespace col {
enum : std::size_t { net, activation, lambda, epochs, reduction, input_scale, alpha_init, optimizer, lambda_scale, seed,
                     test_acc, alpha1, count = alpha1 + 3 };
}

// --quick's runs in protocol order, as summary.csv's columns up to the seed: for the report's
// network and each reduction ReLU, linear, ReLU_alpha for lambda 0.5 and 2 over one epoch, lambda
// 0.5 over two; then for the first attempt and each reduction ReLU, linear and ReLU_alpha for
// lambda 0.5 over one epoch. Adam and the penalty as given; alpha init 0.5 for ReLU_alpha.
std::vector<std::string> quick_rows(const std::vector<std::string>& reductions, bool first_attempt = false) {
  std::vector<std::string> rows;
  const auto row = [&](const std::string& net, const std::string& run, const std::string& r) {
    const bool alpha = run.starts_with("alpha");
    rows.push_back(net + "," + run + r + ",unit," + (alpha ? "0.5" : "") + ",adam,none,0");
  };
  for (const std::string& r : reductions)
    for (const char* run : {"relu,,1,", "linear,,1,", "alpha,0.5,1,", "alpha,2,1,", "alpha,0.5,2,"}) row("fashion", run, r);
  if (!first_attempt) return rows;
  for (const std::string& r : reductions)
    for (const char* run : {"relu,,1,", "linear,,1,", "alpha,0.5,1,"}) row("fashion-bn-pool", run, r);
  return rows;
}

// The folder name of a run of the protocol from its summary row
// ("fashion,alpha,0.5,2,mean,unit,0.5,adam,none,0" -> alpha-l0.5-e2-mean-unit-s0; the first
// attempt's start with bnpool-).
std::string run_name(const std::vector<std::string>& cells) {
  return (cells[col::net] == "fashion-bn-pool" ? "bnpool-" : "") + cells[col::activation] +
         (cells[col::lambda].empty() ? "" : "-l" + cells[col::lambda]) + "-e" + cells[col::epochs] + "-" + cells[col::reduction] + "-" +
         cells[col::input_scale] + "-s" + cells[col::seed];
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  if (!text.empty() && text.back() == separator && separator == ',') parts.emplace_back();
  return parts;
}

// The rows of a CSV file below its header.
std::vector<std::string> data_rows(const std::string& csv) {
  std::vector<std::string> rows = split(csv, '\n');
  if (!rows.empty()) rows.erase(rows.begin());
  return rows;
}

// Checks summary.csv and every run folder of a finished --quick sweep in `out`.
void check_quick_sweep(const fs::path& out, const std::vector<std::string>& reductions, bool first_attempt = false) {
  const std::string summary = read_file(out / "summary.csv");
  REQUIRE(split(summary, '\n').front() == summary_header);
  const std::vector<std::string> rows = data_rows(summary), expected = quick_rows(reductions, first_attempt);
  REQUIRE(rows.size() == expected.size());
  std::vector<std::string> names;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO("summary row " << rows[i]);
    const std::vector<std::string> cells = split(rows[i], ',');
    REQUIRE(cells.size() == col::count);
    CHECK(rows[i].substr(0, expected[i].size() + 1) == expected[i] + ",");
    const fs::path run = out / "runs" / run_name(cells);
    names.push_back(run.filename());
    const int epochs_run = std::stoi(cells[col::epochs]);

    // A trained net: better than chance (0.1), and the summary holds the run's own last epoch.
    const double accuracy = std::stod(cells[col::test_acc]);
    CHECK(accuracy > 0.1);
    CHECK(accuracy <= 1.0);
    const std::string epochs_csv = read_file(run / "epochs.csv");
    CHECK(cells[col::test_acc] == csv_column(epochs_csv, "test_acc", epochs_run));
    CHECK(data_rows(epochs_csv).size() == std::size_t(epochs_run));

    // Alphas for ReLU_alpha runs only: moved from their start at 0.5, by at most about
    // lr = 1e-3 a step (Adam's step size), 20 steps an epoch.
    for (std::size_t k = col::alpha1; k < col::count; ++k) {
      if (cells[col::activation] != "alpha") {
        CHECK(cells[k].empty());
        continue;
      }
      REQUIRE_FALSE(cells[k].empty());
      const double moved = std::abs(std::stod(cells[k]) - 0.5);
      CHECK(moved > 0);
      CHECK(moved <= 1.1e-3 * 20 * epochs_run);
    }

    // The run's config says what the summary says; a resumed run has each step once, in order.
    const nlohmann::json config = nlohmann::json::parse(read_file(run / "config.json"));
    CHECK(config["net"] == cells[col::net]);
    CHECK(config["activation"] == cells[col::activation]);
    CHECK(config["epochs"] == epochs_run);
    CHECK(config["reduction"] == cells[col::reduction]);
    CHECK(config["optimizer"] == cells[col::optimizer]);
    CHECK(config["lambda_scale"] == cells[col::lambda_scale]);
    CHECK(config["limit"] == 2000);
    CHECK(config["threads"] == 1);
    const std::vector<std::string> steps = data_rows(read_file(run / "metrics.csv"));
    REQUIRE(steps.size() == 20 * std::size_t(epochs_run));
    for (std::size_t s = 0; s < steps.size(); ++s) CHECK(split(steps[s], ',').front() == std::to_string(s + 1));
    // fc1 alone is 10 x 25088 floats in the report's network, 10 x 288 in the first attempt.
    CHECK(fs::file_size(run / "model.safetensors") > (cells[col::net] == "fashion" ? 1'000'000 : 40'000));
  }
  std::ranges::sort(names);
  std::vector<std::string> folders;
  for (const auto& entry : fs::directory_iterator(out / "runs")) folders.push_back(entry.path().filename());
  std::ranges::sort(folders);
  CHECK(folders == names);
}

// Checks the report a finished --quick sweep wrote into `out`: a results row per setting with
// the summary's accuracy, both figures of every setting (the alpha plot's data holding the three
// series, one point per step), and the feature-map grids.
void check_quick_report(const fs::path& out) {
  const std::string report = read_file(out / "report.md");
  const std::string results = report.substr(report.find("## Results"), report.find("### Where the alphas go") -
                                                                           report.find("## Results"));
  std::vector<std::string> table;
  for (const std::string& line : split(results, '\n'))
    if (line.starts_with("| relu |") || line.starts_with("| linear |") || line.starts_with("| alpha |"))
      table.push_back(line);
  std::vector<std::string> runs = data_rows(read_file(out / "summary.csv"));
  std::erase_if(runs, [](const std::string& row) { return !row.starts_with("fashion,"); });  // in their own section
  REQUIRE(table.size() == runs.size());  // one seed: a row per run
  for (const std::string& row : runs) {
    INFO("summary row " << row);
    const std::vector<std::string> run = split(row, ',');
    // The table's row of this setting: | activation | lambda | epochs | reduction | ...
    const std::string key =
        "| " + run[col::activation] + " | " + run[col::lambda] + " | " + run[col::epochs] + " | " + run[col::reduction] + " |";
    const auto match = std::ranges::find_if(table, [&](const std::string& line) { return line.starts_with(key); });
    REQUIRE(match != table.end());
    const std::vector<std::string> cells = split(*match, '|');
    REQUIRE(cells.size() >= 8);
    char accuracy[32];
    std::snprintf(accuracy, sizeof accuracy, " %.2f ", 100 * std::stod(run[col::test_acc]));
    CHECK(cells[7] == accuracy);
    const std::string setting = run_name(run).substr(0, run_name(run).rfind("-s"));
    CHECK(fs::file_size(out / "figures" / (setting + "-loss.png")) > 5'000);
    CHECK(fs::file_size(out / "figures" / (setting + "-loss.svg")) > 5'000);
    if (run[col::activation] != "alpha") continue;
    CHECK(fs::file_size(out / "figures" / (setting + "-alphas.png")) > 5'000);
    const std::string data = read_file(out / "figures" / "data" / (setting + "-alphas.dat"));
    std::size_t series = 0, points = 0;
    for (const std::string& line : split(data, '\n')) {
      if (line.starts_with("#")) ++series;
      else if (!line.empty()) ++points;
    }
    CHECK(series == 3);
    CHECK(points == 3 * 20 * std::size_t(std::stoi(run[col::epochs])));
  }
  for (const std::string net : {"relu", "linear", "alpha"})
    for (const std::string image : {"boot", "shirt", "trousers"}) {
      const fs::path grid = out / "figures" / ("features-" + net + "-" + image + ".png");
      CHECK(fs::file_size(grid) > 10'000);
      CHECK_THAT(report, Contains("(figures/" + grid.filename().string() + ")"));
    }
}

}  // namespace

TEST_CASE("cli: sweep --quick trains every run, continues after SIGINT, then skips them all", "[cli][e2e]") {
  const TempDir dir;
  const fs::path out = dir / "study";
  const std::string sweep = "sweep --quick --jobs 2 --threads 2 --out " + out.string();

  // Interrupt once the first run has finished (it writes summary.csv), then continue.
  const Result cut = run_shell(std::string(LINCONV_CLI) + " " + sweep + " & pid=$!; " +
                               "for i in $(seq 2400); do [ -s " + (out / "summary.csv").string() +
                               " ] && break; sleep 0.05; done; kill -INT $pid; wait $pid");
  require_error(cut, 1, "interrupted by SIGINT");
  CHECK_THAT(cut.err, Contains("continue with: linconv sweep --out " + out.string()));
  CHECK_THAT(cut.out, Contains("interrupted: saved"));

  // Continued with --out alone: the sweep's own settings, --jobs and --threads included.
  const Result continued = linconv_cli("sweep --out " + out.string());
  INFO(continued.out << continued.err);
  REQUIRE(continued.status == 0);
  CHECK_THAT(continued.out, Contains("(resumed)") && Contains("10 of 10 runs finished"));
  CHECK_THAT(continued.out, Contains("2 at once, 1 thread each"));
  check_quick_sweep(out, {"mean", "sum"});
  check_quick_report(out);
  const nlohmann::json settings = nlohmann::json::parse(read_file(out / "sweep.json"));
  CHECK(settings["quick"] == true);
  CHECK(settings["seeds"] == 1);

  // Again: nothing to train, nothing rewritten (no run's model saved again).
  const std::string summary = read_file(out / "summary.csv");
  std::map<fs::path, fs::file_time_type> model_times;
  for (const fs::directory_entry& run : fs::directory_iterator(out / "runs"))
    if (run.is_directory()) model_times[run.path()] = fs::last_write_time(run.path() / "model.safetensors");
  REQUIRE(model_times.size() == 10);
  const Result again = linconv_cli(sweep);
  CHECK(again.status == 0);
  CHECK_THAT(again.out, Contains("nothing to train: 10 finished already (skipped)"));
  CHECK(read_file(out / "summary.csv") == summary);
  for (const auto& [run, time] : model_times) {
    INFO(run);
    CHECK(fs::last_write_time(run / "model.safetensors") == time);
  }

  // A run kept as its logs alone, as the repository keeps a study, stays finished; one with its
  // train.lock but no checkpoint (killed before its first save) trains again.
  const fs::path kept = model_times.begin()->first, killed = std::next(model_times.begin())->first;
  for (const char* file : {"model.safetensors", "state.safetensors", "train.lock"}) fs::remove(kept / file);
  const Result logs_alone = linconv_cli(sweep);
  CHECK(logs_alone.status == 0);
  CHECK_THAT(logs_alone.out, Contains("nothing to train: 10 finished already (skipped)"));
  CHECK(read_file(out / "summary.csv") == summary);
  for (const char* file : {"model.safetensors", "state.safetensors"}) fs::remove(killed / file);
  const Result retrained = linconv_cli(sweep);
  INFO(retrained.out << retrained.err);
  CHECK(retrained.status == 0);
  CHECK_THAT(retrained.out, Contains("9 finished already (skipped)") && Contains(killed.filename().string()));
  CHECK(fs::exists(killed / "model.safetensors"));
  CHECK(read_file(out / "summary.csv") == summary);

  // Other settings are refused, naming them; left out, they are the sweep's own.
  require_error(linconv_cli("sweep --seeds 2 --epochs 1 --out " + out.string()), 2,
                "holds a sweep with other settings (--seeds 1 there, 2 here): leave those options out");
  CHECK_THAT(linconv_cli("sweep --out " + out.string()).out, Contains("nothing to train"));
}

#ifdef LINCONV_MPIEXEC
TEST_CASE("cli: sweep under mpirun -np 2 gives what --jobs 2 gives", "[cli][e2e][mpi]") {
  const TempDir dir;
  const std::string quick = " sweep --quick --reduction mean --out ";
  // One thread a run either way: two jobs sharing two threads, or two ranks of one thread.
  const Result jobs = linconv_cli(quick + (dir / "jobs").string() + " --jobs 2 --threads 2");
  INFO(jobs.out << jobs.err);
  REQUIRE(jobs.status == 0);
  const Result mpi = run_shell(std::string(LINCONV_MPIEXEC) + " --allow-run-as-root --oversubscribe -np 2 " +
                               LINCONV_CLI + quick + (dir / "mpi").string() + " --threads 1");
  INFO(mpi.out << mpi.err);
  REQUIRE(mpi.status == 0);
  CHECK_THAT(mpi.out, Contains("rank 0: [1/") && Contains("rank 1: [1/"));  // both ranks trained

  check_quick_sweep(dir / "mpi", {"mean"});
  CHECK(read_file(dir / "mpi" / "summary.csv") == read_file(dir / "jobs" / "summary.csv"));
  for (const auto& run : fs::directory_iterator(dir / "jobs" / "runs")) {
    INFO(run.path().filename());
    CHECK(read_file(run.path() / "model.safetensors") ==
          read_file(dir / "mpi" / "runs" / run.path().filename() / "model.safetensors"));
  }
  CHECK(nlohmann::json::parse(read_file(dir / "mpi" / "sweep.json"))["ranks"] == 2);
}
#endif

TEST_CASE("cli: sweep --list shows the report's protocol: 66 runs in protocol order", "[cli]") {
  const TempDir dir;
  const Result list = linconv_cli("sweep --list --out " + (dir / "study").string());
  INFO(list.err);
  REQUIRE(list.status == 0);
  std::vector<std::string> names;
  for (const std::string& line : split(list.out, '\n')) names.push_back(split(line, ' ').front());
  // Per reduction: 2 baselines + 7 lambdas over 3 epochs + 2 over 12, each for 3 seeds.
  REQUIRE(names.size() == 2 * 11 * 3 + 2);
  CHECK_THAT(list.out, Contains("66 runs: 0 finished, 0 saved part-way, 66 to train\n"
                                "306 epochs to train (no epoch done yet to time)\n"));
  const std::vector<std::string> first{"relu-e3-mean-unit-s0",       "relu-e3-mean-unit-s1",
                                       "relu-e3-mean-unit-s2",       "linear-e3-mean-unit-s0",
                                       "linear-e3-mean-unit-s1",     "linear-e3-mean-unit-s2",
                                       "alpha-l0.1-e3-mean-unit-s0"};
  CHECK(std::vector(names.begin(), names.begin() + 7) == first);
  CHECK(names[3 * 9] == "alpha-l0.5-e12-mean-unit-s0");
  CHECK(names[3 * 11] == "relu-e3-sum-unit-s0");
  CHECK(names[65] == "alpha-l0.7-e12-sum-unit-s2");
  for (const char* lambda : {"0.3", "0.5", "0.7", "0.9", "2", "5"})
    CHECK(std::ranges::count(names, std::string("alpha-l") + lambda + "-e3-sum-unit-s1") == 1);
  CHECK_FALSE(fs::exists(dir / "study"));  // listing writes nothing
}

namespace {

// The names `sweep --list` prints, in order, and its lines after them.
struct Listing {
  std::vector<std::string> names;
  std::string totals;
};
Listing listing(const Result& list) {
  Listing l;
  for (const std::string& line : split(list.out, '\n')) {
    if (line.find(" runs: ") != std::string::npos || line.find(" epochs to train") != std::string::npos)
      l.totals += line + "\n";
    else
      l.names.push_back(split(line, ' ').front());
  }
  return l;
}

// The sweep.json of the report's protocol as a build before the controls wrote it (that of the
// study in /work/study/full, started by ce4443d), for a data directory and a number of threads.
std::string sweep_json_before_controls(const std::string& data, const std::string& extra = "") {
  return R"({"alpha_init": 0.5, "batch": 100, "data": ")" + data + R"(", "epochs": 3, "input_scale": ["unit"],
             "jobs": 1, "lambdas": [0.10000000149011612, 0.30000001192092896, 0.5, 0.699999988079071,
             0.8999999761581421, 2.0, 5.0], "limit": null, "long_epochs": 12, "long_lambdas": [0.5, 0.699999988079071],
             "lr": 0.0010000000474974513, "net": ["fashion"], "quick": false, "ranks": 1, "reduction": ["mean", "sum"],
             "seed_base": 0, "seeds": 3, "test_limit": null, "threads": 1)" + extra + "}";
}

}  // namespace

TEST_CASE("cli: sweep --controls plans the study's controls after the protocol, each run once", "[cli]") {
  const TempDir dir;
  const std::string out = " --out " + (dir / "study").string();
  const Listing protocol = listing(linconv_cli("sweep --list" + out));
  const Result list = linconv_cli("sweep --list --controls" + out);
  INFO(list.err);
  REQUIRE(list.status == 0);
  const Listing l = listing(list);
  // The protocol's 66 first, unchanged; then per the controls:
  //   extra seeds: mean 0.1, sum 2, sum 5 to 10 seeds            3 x 7 = 21
  //   long runs to 5 seeds (2 lambdas, 2 reductions)             4 x 2 =  8
  //   long baselines (ReLU, linear; 2 reductions) x 5 seeds       4 x 5 = 20
  //   raw input: baselines and 3 lambdas, 2 reductions, 3 seeds  10 x 3 = 30
  //   alpha init 0.9, 1.1 at lambda 0.5, sum, 3 seeds (1 is new too) 3 x 3 = 9
  //   scaled penalty, sum, the 7 lambdas, 3 seeds                 7 x 3 = 21
  //   SGD, mean: baselines and 3 lambdas, 3 seeds                 5 x 3 = 15
  REQUIRE(std::vector(l.names.begin(), l.names.begin() + 66) == protocol.names);
  CHECK(l.names.size() == 66 + 21 + 8 + 20 + 30 + 9 + 21 + 15);
  CHECK_THAT(l.totals, Contains("190 runs: 0 finished, 0 saved part-way, 190 to train"));
  CHECK_THAT(l.totals, Contains("epochs to train (no epoch done yet to time)"));
  std::vector<std::string> sorted = l.names;
  std::ranges::sort(sorted);
  CHECK(std::ranges::adjacent_find(sorted) == sorted.end());
  for (const char* name : {"alpha-l0.1-e3-mean-unit-s9", "alpha-l5-e3-sum-unit-s9", "alpha-l0.7-e12-sum-unit-s4",
                           "relu-e12-mean-unit-s4", "linear-e12-sum-unit-s0", "relu-e3-sum-raw-s2",
                           "alpha-l2-e3-mean-raw-s0", "alpha-l0.5-e3-sum-unit-ai0.9-s0",
                           "alpha-l0.5-e3-sum-unit-ai1-s2", "alpha-l0.5-e3-sum-unit-ai1.1-s1",
                           "alpha-l0.3-e3-sum-unit-ls-s0", "relu-e3-mean-unit-sgd-s0", "alpha-l2-e3-mean-unit-sgd-s2"})
    CHECK(std::ranges::count(l.names, std::string(name)) == 1);
  // Not planned: more seeds than asked, SGD under sum, a scaled penalty under mean.
  for (const char* name : {"alpha-l0.1-e3-mean-unit-s10", "alpha-l0.5-e3-sum-unit-sgd-s0", "alpha-l0.5-e3-mean-unit-ls-s0",
                           "alpha-l0.3-e3-mean-unit-s3", "alpha-l0.5-e3-sum-unit-ai0.5-s0"})
    CHECK(std::ranges::count(l.names, std::string(name)) == 0);
  // A control given explicitly replaces --controls' choice; duplicates with the protocol are reused.
  const Listing some = listing(linconv_cli("sweep --list --controls --extra-seeds mean:0.5=4 --sgd-lambdas 0.5" + out));
  CHECK(some.names.size() == 190 - 21 + 1 - 6);
  CHECK_FALSE(fs::exists(dir / "study"));
}

TEST_CASE("cli: sweep --list times the epochs left at their median, the sweep's runs at a time", "[cli]") {
  const TempDir dir;
  const fs::path out = dir / "study";
  nlohmann::json settings = nlohmann::json::parse(sweep_json_before_controls(dir.path().string()));
  settings["jobs"] = 2;
  const fs::path run = out / "runs" / "relu-e3-mean-unit-s0";
  fs::create_directories(run);
  write_file(out / "sweep.json", settings.dump());
  // One run finished, kept as its logs alone: 3 epochs of 38, 40 and 200 s, the last one slowed
  // down (a build beside it, or the sweep stopped): the median, 40 s, times the epochs left.
  write_file(run / "epochs.csv", std::string("epoch,train_loss,test_loss,test_acc,seconds,images_per_s\n1,1,1,0.8,38,1500\n"
                                 "2,1,1,0.8,200,300\n3,1,1,0.8,40,1500\n"));
  write_file(run / "metrics.csv", std::string("step,epoch,loss,ce,penalty,alpha1,alpha2,alpha3\n1800,3,1,1,0,,,\n"));

  // 306 - 3 epochs left at 40 s, 2 at a time: 6,060 s; given --jobs 1, twice that.
  const Result list = linconv_cli("sweep --list --out " + out.string());
  INFO(list.err);
  REQUIRE(list.status == 0);
  CHECK_THAT(list.out, Contains("66 runs: 1 finished, 0 saved part-way, 65 to train\n"
                                "303 epochs to train: about 1 h 41 min at 40 s an epoch (the median of the 3 done), "
                                "2 runs at a time\n"));
  CHECK_THAT(linconv_cli("sweep --list --jobs 1 --out " + out.string()).out,
             Contains("303 epochs to train: about 3 h 22 min at 40 s an epoch (the median of the 3 done), one run at a "
                      "time\n"));
}

TEST_CASE("cli: a sweep of a build before the controls keeps its 66 runs and takes --controls", "[cli]") {
  const TempDir dir;
  const fs::path old = dir / "old";
  fs::create_directories(old / "runs");
  const std::string saved = sweep_json_before_controls("/usr/share/datasets/fashion-mnist");
  write_file(old / "sweep.json", saved);
  const Listing before = listing(linconv_cli("sweep --list --out " + old.string()));
  const Listing fresh = listing(linconv_cli("sweep --list --out " + (dir / "new").string()));
  CHECK(before.names == fresh.names);
  CHECK_THAT(before.totals, Contains("66 runs: 0 finished"));
  CHECK_THAT(listing(linconv_cli("sweep --list --controls --out " + old.string())).totals, Contains("190 runs"));
  // Base settings still may not change, with or without controls.
  require_error(linconv_cli("sweep --list --controls --seeds 5 --out " + old.string()), 2,
                "holds a sweep with other settings (--seeds 3 there, 5 here)");
  require_error(linconv_cli("sweep --list --long-epochs 6 --out " + old.string()), 2, "--long-epochs 12 there, 6 here");
  CHECK(read_file(old / "sweep.json") == saved);
}

TEST_CASE("cli: controls added to a sweep train only their runs, summary.csv records them, the report gives them "
          "sections", "[cli][e2e]") {
  const TempDir dir;
  write_dataset(dir, 100);
  const fs::path out = dir / "study";
  fs::create_directories(out / "runs");
  // A small protocol in an older build's sweep.json: ReLU, linear and lambda 0.5 over 1 epoch,
  // lambda 0.5 over 2, mean reduction, seed 0.
  nlohmann::json small = nlohmann::json::parse(sweep_json_before_controls(dir.path().string()));
  small.update({{"epochs", 1}, {"long_epochs", 2}, {"seeds", 1}, {"limit", 20}, {"test_limit", 20}, {"batch", 10},
                {"reduction", {"mean"}}, {"lambdas", {0.5}}, {"long_lambdas", {0.5}}});
  const std::string saved = small.dump(2);
  write_file(out / "sweep.json", saved);
  const Result first = linconv_cli("sweep --out " + out.string());
  INFO(first.out << first.err);
  REQUIRE(first.status == 0);
  CHECK_THAT(first.out, Contains("4 of 4 runs finished"));
  CHECK(read_file(out / "sweep.json") == saved);  // continued as it was: no keys added

  const std::string controls = " --sgd-lambdas 0.5 --alpha-inits 1 --long-baselines --out " + out.string();
  const Result added = linconv_cli("sweep" + controls);
  INFO(added.out << added.err);
  REQUIRE(added.status == 0);
  CHECK_THAT(added.out, Contains("6 to train, 4 finished already (skipped)") && Contains("10 of 10 runs finished"));
  const nlohmann::json settings = nlohmann::json::parse(read_file(out / "sweep.json"));
  CHECK(settings["sgd_lambdas"] == nlohmann::json{0.5});
  CHECK(settings["long_baselines"] == true);
  CHECK(settings["threads"] == 1);

  const std::string summary = read_file(out / "summary.csv");
  CHECK(split(summary, '\n').front() == summary_header);
  const std::vector<std::string> rows = data_rows(summary);
  const std::vector<std::string> expected{
      "fashion,relu,,1,mean,unit,,adam,none,0,",          "fashion,linear,,1,mean,unit,,adam,none,0,",
      "fashion,alpha,0.5,1,mean,unit,0.5,adam,none,0,",   "fashion,alpha,0.5,2,mean,unit,0.5,adam,none,0,",
      "fashion,relu,,2,mean,unit,,adam,none,0,",          "fashion,linear,,2,mean,unit,,adam,none,0,",
      "fashion,alpha,0.5,1,sum,unit,1,adam,none,0,",      "fashion,relu,,1,mean,unit,,sgd,none,0,",
      "fashion,linear,,1,mean,unit,,sgd,none,0,",         "fashion,alpha,0.5,1,mean,unit,0.5,sgd,none,0,"};
  REQUIRE(rows.size() == expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i].substr(0, expected[i].size()) == expected[i]);
  const nlohmann::json sgd = nlohmann::json::parse(read_file(out / "runs" / "alpha-l0.5-e1-mean-unit-sgd-s0" / "config.json"));
  CHECK(sgd["optimizer"] == "sgd");
  CHECK(sgd["lr"] == Approx(0.02));
  CHECK(nlohmann::json::parse(read_file(out / "runs" / "alpha-l0.5-e1-sum-unit-ai1-s0" / "config.json"))["alpha_init"] == 1.0);

  // The report's results keep to the protocol: the SGD and alpha-init runs are not in its table ...
  const std::string report = read_file(out / "report.md");
  const std::string results =
      report.substr(report.find("## Results"), report.find("### Where the alphas go") - report.find("## Results"));
  CHECK_THAT(results, !Contains("| sum |"));
  CHECK(std::ranges::count(split(results, '\n'), true, [](const std::string& line) { return line.starts_with("| relu | "); }) == 2);
  // ... and the controls have sections of their own, beside the protocol's runs they change.
  const std::string sgd_section = report.substr(report.find("### Control: SGD beside Adam"));
  CHECK_THAT(sgd_section, Contains("| ReLU_α, λ 0.5 | 1 | mean | 1 | "));
  const std::string init_section = report.substr(report.find("### Control: initial α of 0.9, 1 and 1.1"));
  CHECK_THAT(init_section, Contains("**λ 0.5, 1 epoch, sum reduction, unit input.**") &&
                       Contains("| 1 | 1 | ") && Contains("**Not enough runs yet**: the claim needs runs started at 1 "
                                                           "and on either side of it."));

  // Controls may only add runs: dropping or changing one is refused, as is a change of the protocol.
  require_error(linconv_cli("sweep --sgd-lambdas 2 --out " + out.string()), 2,
                "--sgd-lambdas [0.5] there, [2.0] here would drop its run alpha-l0.5-e1-mean-unit-sgd-s0");
  require_error(linconv_cli("sweep --sgd-lr 0.1 --out " + out.string()), 2,
                "would change the settings of its run relu-e1-mean-unit-sgd-s0");
  require_error(linconv_cli("sweep --lambdas 2 --sgd-lambdas 0.5,2 --out " + out.string()), 2,
                "holds a sweep with other settings (--lambdas [0.5] there, [2.0] here)");
  CHECK_THAT(linconv_cli("sweep --list --out " + out.string()).out, Contains("10 runs: 10 finished") &&
                                                                        Contains("0 epochs to train: about 0 min"));
}

TEST_CASE("cli: sweep --quick with both networks adds the first attempt and its section", "[cli][e2e]") {
  const TempDir dir;
  const fs::path out = dir / "study";
  const Result r = linconv_cli("sweep --quick --reduction mean --net fashion,fashion-bn-pool --jobs 2 --threads 2 "
                               "--out " + out.string());
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("8 of 8 runs finished"));
  check_quick_sweep(out, {"mean"}, true);
  check_quick_report(out);
  const std::string report = read_file(out / "report.md");
  const std::size_t section = report.find("## The first attempt: batch norm and max pooling\n");
  REQUIRE(section != std::string::npos);
  const std::string text = report.substr(section, report.find("## Loss, accuracy") - section);
  CHECK_THAT(text, Contains("### mean reduction, unit input\n") && Contains("\n| relu |  | 1 | 1 | ") &&
                       Contains("\n| linear |  | 1 | 1 | ") && Contains("\n| alpha | 0.5 | 1 | 1 | "));
  const std::regex verdict("\\*\\*The claim (holds|does not hold)\\*\\* \\(1 epoch\\): the ReLU - linear gap is "
                           "-?[0-9]+\\.[0-9][0-9] points \\(1 seed\\), (not )?within 1 point, against "
                           "-?[0-9]+\\.[0-9][0-9] points \\(1 seed\\) on the report's network \\(1 epoch\\)\\.");
  CHECK(std::regex_search(text, verdict));
  for (const char* figure : {"bnpool-relu-e1-mean-unit-loss.png", "bnpool-alpha-l0.5-e1-mean-unit-alphas.png"})
    CHECK(fs::file_size(out / "figures" / figure) > 5'000);
  // The feature maps stay those of the report's network.
  CHECK_THAT(report, Contains("through the ReLU net (relu, 1 epoch, mean reduction, unit input, seed 0, "
                              "run relu-e1-mean-unit-s0)"));
  CHECK_THAT(report, !Contains("features-bnpool"));
}

TEST_CASE("cli: sweep --list with both networks adds the first attempt's 18 runs and shows the net", "[cli]") {
  const TempDir dir;
  const Result list = linconv_cli("sweep --list --net fashion,fashion-bn-pool --out " + (dir / "study").string());
  INFO(list.err);
  REQUIRE(list.status == 0);
  std::vector<std::vector<std::string>> lines;
  for (const std::string& line : split(list.out, '\n')) {
    std::istringstream words(line);
    lines.emplace_back(std::istream_iterator<std::string>(words), std::istream_iterator<std::string>());
  }
  // The report's 66, then per reduction ReLU, linear and ReLU_alpha at lambda 0.5, each for 3 seeds.
  REQUIRE(lines.size() == 66 + 18 + 2);
  CHECK_THAT(list.out, Contains("84 runs: 0 finished, 0 saved part-way, 84 to train"));
  CHECK(lines[0] == std::vector<std::string>{"relu-e3-mean-unit-s0", "fashion", "to", "train"});
  CHECK(lines[66] == std::vector<std::string>{"bnpool-relu-e3-mean-unit-s0", "fashion-bn-pool", "to", "train"});
  CHECK(lines[69][0] == "bnpool-linear-e3-mean-unit-s0");
  CHECK(lines[72][0] == "bnpool-alpha-l0.5-e3-mean-unit-s0");
  CHECK(lines[75][0] == "bnpool-relu-e3-sum-unit-s0");
  CHECK(lines[83][0] == "bnpool-alpha-l0.5-e3-sum-unit-s2");
  CHECK_THAT(linconv_cli("sweep --help").out, Contains("for fashion-bn-pool") && Contains("--net"));
  require_error(linconv_cli("sweep --list --net fashion,lenet --out " + (dir / "study").string()), 2, "--net");
}

TEST_CASE("cli: a sweep started before --net existed continues as the report's network", "[cli]") {
  const TempDir dir;
  fs::create_directories(dir / "old" / "runs");
  write_file(dir / "old" / "sweep.json",
             std::string(R"({"data": "/usr/share/datasets/fashion-mnist", "lambdas": [0.5], "long_lambdas": [],
                  "epochs": 3, "long_epochs": 12, "seeds": 1, "seed_base": 0, "reduction": ["mean"],
                  "input_scale": ["unit"], "limit": null, "test_limit": null, "batch": 100, "lr": 0.001,
                  "alpha_init": 0.5, "quick": false, "jobs": 1, "threads": 2, "ranks": 1})"));
  const Result list = linconv_cli("sweep --list --out " + (dir / "old").string());
  INFO(list.err);
  REQUIRE(list.status == 0);
  CHECK_THAT(list.out, Contains("3 runs: 0 finished") && Contains("alpha-l0.5-e3-mean-unit-s0"));
  require_error(linconv_cli("sweep --list --net fashion-bn-pool --out " + (dir / "old").string()), 2,
                "(--net [\"fashion\"] there, [\"fashion-bn-pool\"] here)");
}

TEST_CASE("cli: a second sweep into a directory in use is refused, naming the first", "[cli][e2e]") {
  const TempDir dir;
  write_dataset(dir, 100);
  const fs::path out = dir / "s";
  const std::string sweep = std::string(LINCONV_CLI) + " sweep --data " + dir.path().string() +
                            " --limit 20 --test-limit 20 --seeds 1 --lambdas 0.5 --long-lambdas 0.5 --reduction mean "
                            "--batch 10 --threads 1 --epochs 100000 --long-epochs 100000 --out " + out.string();
  // The first would train for hours; the second (killed after 20 s) comes once the first has begun its
  // first run. Continuing the sweep and starting it over are refused alike.
  const fs::path first_run = out / "runs" / "relu-e100000-mean-unit-s0" / "config.json";
  for (const std::string second : {"", " --force"}) {
    fs::remove_all(out);  // so that the run's config.json is the new first sweep's
    const Overlap o = while_running(sweep, first_run, "timeout -s KILL 20 " + sweep + second);
    require_error(o.second, 1, "--out " + out.string() + " is in use by linconv process " + o.first_pid + " on ");
    CHECK_THAT(o.second.err, Contains("(lock " + (out / "sweep.lock").string() + ")"));
    CHECK(fs::exists(first_run));
  }
}

TEST_CASE("cli: sweep usage errors exit 2, bad data 1, naming the flag or file", "[cli]") {
  const TempDir dir;
  require_error(linconv_cli("sweep"), 2, "--out");
  require_error(linconv_cli("sweep --reduction mean,max --out " + (dir / "s").string()), 2, "--reduction");
  require_error(linconv_cli("sweep --lambdas 0.5,-1 --out " + (dir / "s").string()), 2, "--lambdas");
  require_error(linconv_cli("sweep --jobs 0 --out " + (dir / "s").string()), 2, "--jobs");
  for (const char* entry : {"mean:0.1", "max:0.1=10", "sum:-1=10", "sum:2=0", "sum:2=x"})
    require_error(linconv_cli("sweep --list --extra-seeds " + std::string(entry) + " --out " + (dir / "s").string()), 2,
                  "--extra-seeds: must be REDUCTION:LAMBDA=N");
  require_error(linconv_cli("sweep --list --sgd-lr 0 --out " + (dir / "s").string()), 2, "--sgd-lr: must be greater than 0");
  require_error(linconv_cli("sweep --list --long-seeds 0 --out " + (dir / "s").string()), 2, "--long-seeds");
  require_error(linconv_cli("sweep --list --alpha-inits 1,nan --out " + (dir / "s").string()), 2, "--alpha-inits");
  fs::create_directories(dir / "busy");
  write_file(dir / "busy" / "notes.txt", std::string("mine"));
  require_error(linconv_cli("sweep --out " + (dir / "busy").string()), 2, "holds no sweep.json");
  CHECK(read_file(dir / "busy" / "notes.txt") == "mine");
  require_error(linconv_cli("sweep --quick --data " + (dir / "nothing").string() + " --out " + (dir / "s").string()),
                1, (dir / "nothing").string());
  require_error(linconv_cli("sweep --quick --limit 60001 --out " + (dir / "big").string()), 2,
                "--limit 60001 exceeds the 60000 training images");
}
