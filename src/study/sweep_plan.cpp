// The sweep's protocol: its settings as sweep.json keeps them, --quick, and the runs it plans
// (names, settings, and the share of each MPI rank).
#include <algorithm>
#include <cstdio>
#include <set>

#include "net_names.hpp"
#include "sweep.hpp"

namespace linconv::cli {
namespace {

nlohmann::json optional_json(const std::optional<int>& value) { return value ? nlohmann::json(*value) : nullptr; }
std::optional<int> optional_int(const nlohmann::json& value) {
  return value.is_null() ? std::nullopt : std::optional<int>(value.get<int>());
}

}  // namespace

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

std::string lambda_text(float lambda) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", lambda);
  return text;
}

namespace {

std::string run_name(const RunConfig& c) {
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

}  // namespace

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
            RunConfig c{.data = s.data, .net = net, .activation = kind.activation, .lambda = kind.lambda,
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

}  // namespace linconv::cli
