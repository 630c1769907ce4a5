// The sweep's protocol: its settings as sweep.json keeps them, --quick, and the runs it plans
// (names, settings, and the share of each MPI rank).
#include <algorithm>
#include <charconv>
#include <cmath>
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

// The controls' part of the protocol (sweep.json's control keys).
nlohmann::json controls_json(const SweepSettings& s) {
  return {{"extra_seeds", s.extra_seeds},       {"long_seeds", optional_json(s.long_seeds)},
          {"long_baselines", s.long_baselines}, {"raw_lambdas", s.raw_lambdas},
          {"alpha_inits", s.alpha_inits},       {"alpha_init_lambdas", s.alpha_init_lambdas},
          {"scaled_lambdas", s.scaled_lambdas}, {"sgd_lambdas", s.sgd_lambdas},
          {"sgd_lr", s.sgd_lr}};
}

}  // namespace

// The protocol as JSON; each key is its option's name without the dashes.
nlohmann::json protocol_json(const SweepSettings& s) {
  nlohmann::json protocol = {
      {"net", s.net},
      {"data", s.data.string()},      {"lambdas", s.lambdas},         {"long_lambdas", s.long_lambdas},
      {"epochs", s.epochs},           {"long_epochs", s.long_epochs}, {"seeds", s.seeds},
      {"seed_base", s.seed_base},     {"reduction", s.reduction},     {"input_scale", s.input_scale},
      {"limit", optional_json(s.limit)}, {"test_limit", optional_json(s.test_limit)},
      {"batch", s.batch},             {"lr", s.lr},                   {"alpha_init", s.alpha_init}};
  protocol.update(controls_json(s));
  return protocol;
}

bool is_control_key(const std::string& key) {
  static const nlohmann::json controls = controls_json(SweepSettings{});
  return controls.contains(key);
}

// Reads the protocol back; control keys missing (a sweep.json from before the controls) keep
// the defaults, which plan no control run.
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
  const SweepSettings defaults;
  s.extra_seeds = j.value("extra_seeds", defaults.extra_seeds);
  for (const std::string& entry : s.extra_seeds)
    if (!valid_extra_seeds(entry)) throw Error("sweep settings: extra_seeds '" + entry + "' is not REDUCTION:LAMBDA=N");
  s.long_seeds = optional_int(j.value("long_seeds", nlohmann::json()));
  s.long_baselines = j.value("long_baselines", defaults.long_baselines);
  s.raw_lambdas = j.value("raw_lambdas", defaults.raw_lambdas);
  s.alpha_inits = j.value("alpha_inits", defaults.alpha_inits);
  s.alpha_init_lambdas = j.value("alpha_init_lambdas", defaults.alpha_init_lambdas);
  s.scaled_lambdas = j.value("scaled_lambdas", defaults.scaled_lambdas);
  s.sgd_lambdas = j.value("sgd_lambdas", defaults.sgd_lambdas);
  s.sgd_lr = j.value("sgd_lr", defaults.sgd_lr);
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

// --controls: the study's controls. Ten seeds where the outcomes split between seeds (mean
// 0.1, sum 2 and 5), five for the long runs and their new baselines, raw input at three lambdas,
// alpha from 0.9, 1 and 1.1, the scaled penalty at every --lambdas, SGD at three lambdas.
void apply_controls(SweepSettings& s, std::map<std::string, std::string>& given) {
  auto set = [&](const std::string& key, auto& field, auto value) {
    if (given.contains(key)) return;
    field = value;
    given[key] = "--controls";
  };
  set("extra_seeds", s.extra_seeds, std::vector<std::string>{"mean:0.1=10", "sum:2=10", "sum:5=10"});
  set("long_seeds", s.long_seeds, std::optional<int>(5));
  set("long_baselines", s.long_baselines, true);
  set("raw_lambdas", s.raw_lambdas, std::vector<float>{0.1f, 0.5f, 2.0f});
  set("alpha_inits", s.alpha_inits, std::vector<float>{0.9f, 1.0f, 1.1f});
  set("scaled_lambdas", s.scaled_lambdas, s.lambdas);
  set("sgd_lambdas", s.sgd_lambdas, std::vector<float>{0.1f, 0.5f, 2.0f});
}

namespace {

struct ExtraSeeds {
  std::string reduction;
  float lambda = 0.0f;
  int seeds = 0;
};

// "sum:2=10" -> {sum, 2, 10}; nullopt when the entry is not valid (valid_extra_seeds).
std::optional<ExtraSeeds> parse_extra_seeds(const std::string& entry) {
  const std::size_t colon = entry.find(':'), equals = entry.find('=');
  if (colon == std::string::npos || equals == std::string::npos || equals < colon) return std::nullopt;
  ExtraSeeds e{entry.substr(0, colon), 0.0f, 0};
  if (e.reduction != "mean" && e.reduction != "sum") return std::nullopt;
  const std::string lambda = entry.substr(colon + 1, equals - colon - 1), seeds = entry.substr(equals + 1);
  const char* lambda_end = lambda.data() + lambda.size();
  const auto [lambda_stop, lambda_error] = std::from_chars(lambda.data(), lambda_end, e.lambda);
  const auto [seeds_stop, seeds_error] = std::from_chars(seeds.data(), seeds.data() + seeds.size(), e.seeds);
  if (lambda.empty() || lambda_error != std::errc() || lambda_stop != lambda_end || !std::isfinite(e.lambda) ||
      e.lambda < 0.0f || seeds.empty() || seeds_error != std::errc() || seeds_stop != seeds.data() + seeds.size() ||
      e.seeds < 1 || e.seeds > 1000)
    return std::nullopt;
  return e;
}

}  // namespace

bool valid_extra_seeds(const std::string& entry) { return parse_extra_seeds(entry).has_value(); }

std::string lambda_text(float lambda) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", lambda);
  return text;
}

namespace {

// "alpha-l0.5-e3-mean-unit-s0": the setting, then what a control changes (-ai<alpha_init> from
// another initial alpha than the sweep's, -ls for the scaled penalty, -sgd), then the seed.
std::string run_name(const RunConfig& c, const SweepSettings& s) {
  const bool alpha = c.activation == "alpha";
  return net_prefix(c.net) + c.activation + (alpha ? "-l" + lambda_text(c.lambda) : "") + "-e" +
         std::to_string(c.epochs) + "-" + c.reduction + "-" + c.input_scale +
         (alpha && c.alpha_init != s.alpha_init ? "-ai" + lambda_text(c.alpha_init) : "") +
         (c.lambda_scale != "none" ? "-ls" : "") + (c.optimizer != "adam" ? "-" + c.optimizer : "") + "-s" +
         std::to_string(c.seed);
}

// The first attempt's runs test one claim of the course report (ReLU and linear as accurate):
// they need the two baselines, and ReLU_alpha at this lambda shows where its alphas go.
constexpr float first_attempt_lambda = 0.5f;

// Runs of one setting, for seeds --seed-base .. --seed-base + seeds - 1.
struct Group {
  RunConfig setting;
  int seeds;
};

// Plans the groups in order, each seed once: a run already planned (the same name, and so the
// same settings) is not planned again.
class Planner {
 public:
  Planner(const SweepSettings& s, int threads_per_run) : s_(s), threads_(threads_per_run) {}

  // The setting of `activation` (lambda ignored for baselines) with the sweep's other settings.
  RunConfig setting(const std::string& net, const std::string& activation, float lambda, int epochs,
                    const std::string& reduction, const std::string& scale) const {
    return {.data = s_.data, .net = net, .activation = activation, .lambda = activation == "alpha" ? lambda : 0.0f,
            .epochs = epochs, .batch = s_.batch, .lr = s_.lr, .alpha_init = s_.alpha_init, .reduction = reduction,
            .input_scale = scale, .threads = threads_, .limit = s_.limit, .test_limit = s_.test_limit};
  }
  // The ReLU and linear baselines and ReLU_alpha at each of `lambdas`, alike otherwise.
  void add_with_baselines(RunConfig setting, const std::vector<float>& lambdas, int seeds) {
    for (const char* baseline : {"relu", "linear"}) {
      RunConfig b = setting;
      b.activation = baseline;
      b.lambda = 0.0f;
      add({b, seeds});
    }
    for (float lambda : lambdas) {
      setting.lambda = lambda;
      add({setting, seeds});
    }
  }
  void add(const Group& group) {
    for (int k = 0; k < group.seeds; ++k) {
      RunConfig c = group.setting;
      c.seed = s_.seed_base + std::uint64_t(k);
      const std::string name = run_name(c, s_);
      c.out = s_.out / "runs" / name;
      if (names_.insert(name).second) runs_.push_back({name, std::move(c)});
    }
  }
  std::vector<PlannedRun> runs() && { return std::move(runs_); }

 private:
  const SweepSettings& s_;
  int threads_;
  std::set<std::string> names_;
  std::vector<PlannedRun> runs_;
};

// The protocol of a network: the report's network the ReLU and linear baselines, ReLU_alpha for
// each lambda, then the long runs; the first attempt the baselines and ReLU_alpha at
// first_attempt_lambda, over --epochs. For every reduction and input scale, --seeds each.
void plan_protocol(Planner& plan, const SweepSettings& s, const std::string& net) {
  for (const std::string& reduction : s.reduction)
    for (const std::string& scale : s.input_scale) {
      const RunConfig short_run = plan.setting(net, "alpha", 0.0f, s.epochs, reduction, scale);
      if (net == first_attempt_net) {
        plan.add_with_baselines(short_run, {first_attempt_lambda}, s.seeds);
        continue;
      }
      plan.add_with_baselines(short_run, s.lambdas, s.seeds);
      for (float lambda : s.long_lambdas) plan.add({plan.setting(net, "alpha", lambda, s.long_epochs, reduction, scale), s.seeds});
    }
}

// The controls, of the report's network, after the protocol (whose runs they reuse where the
// settings coincide).
void plan_controls(Planner& plan, const SweepSettings& s) {
  const std::string net = report_net;
  for (const std::string& entry : s.extra_seeds) {
    const ExtraSeeds e = *parse_extra_seeds(entry);
    for (const std::string& scale : s.input_scale)
      plan.add({plan.setting(net, "alpha", e.lambda, s.epochs, e.reduction, scale), e.seeds});
  }
  const int long_seeds = s.long_seeds.value_or(s.seeds);
  for (const std::string& reduction : s.reduction)
    for (const std::string& scale : s.input_scale) {
      const RunConfig long_run = plan.setting(net, "alpha", 0.0f, s.long_epochs, reduction, scale);
      plan.add_with_baselines(long_run, {}, s.long_baselines ? long_seeds : 0);
      for (float lambda : s.long_lambdas) plan.add({plan.setting(net, "alpha", lambda, s.long_epochs, reduction, scale), long_seeds});
    }
  if (!s.raw_lambdas.empty())
    for (const std::string& reduction : s.reduction)
      plan.add_with_baselines(plan.setting(net, "alpha", 0.0f, s.epochs, reduction, "raw"), s.raw_lambdas, s.seeds);
  for (const std::string& scale : s.input_scale) {
    for (float init : s.alpha_inits)
      for (float lambda : s.alpha_init_lambdas) {
        RunConfig c = plan.setting(net, "alpha", lambda, s.epochs, "sum", scale);
        c.alpha_init = init;
        plan.add({c, s.seeds});
      }
    for (float lambda : s.scaled_lambdas) {
      RunConfig c = plan.setting(net, "alpha", lambda, s.epochs, "sum", scale);
      c.lambda_scale = "reduction";
      plan.add({c, s.seeds});
    }
    if (!s.sgd_lambdas.empty()) {
      RunConfig c = plan.setting(net, "alpha", 0.0f, s.epochs, "mean", scale);
      c.optimizer = "sgd";
      c.lr = s.sgd_lr;
      plan.add_with_baselines(c, s.sgd_lambdas, s.seeds);
    }
  }
}

}  // namespace

// Protocol order: for each network the protocol (plan_protocol), then the controls. A run
// named twice (--long-epochs equal to --epochs, a control that is a protocol run) is planned once.
std::vector<PlannedRun> plan_runs(const SweepSettings& s, int threads_per_run) {
  Planner plan(s, threads_per_run);
  for (const std::string& net : s.net) plan_protocol(plan, s, net);
  plan_controls(plan, s);
  return std::move(plan).runs();
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
