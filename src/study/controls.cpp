// The controls' sections of the report: each says why the control exists, tabulates
// its runs beside the protocol's runs they are compared with, and gives a verdict by a rule it
// states; a control whose runs are missing says so ("not enough runs yet").
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "judgements.hpp"
#include "statistics.hpp"
#include "study.hpp"

namespace linconv::cli {

std::vector<const SettingSummary*> report_settings(const StudySummary& study) {
  std::vector<const SettingSummary*> list;
  for (const std::vector<SettingSummary>* group : {&study.settings, &study.controls})
    for (const SettingSummary& s : *group)
      if (s.setting.net == report_net) list.push_back(&s);
  return list;
}

double protocol_alpha_init(const StudySummary& study) {
  for (const SettingSummary& s : study.settings)
    if (s.setting.alpha_init) return *s.setting.alpha_init;
  return 0.5f;
}

namespace {

const SettingSummary* find_setting(const StudySummary& study, const Setting& wanted) {
  for (const SettingSummary* s : report_settings(study))
    if (s->setting == wanted) return s;
  return nullptr;
}

// The protocol's short runs' epochs: its sweep's --epochs, else the shortest ReLU_alpha runs'.
int short_epochs(const StudySummary& study) {
  return study.protocol_epochs > 0 ? study.protocol_epochs : shortest_alpha_epochs(study);
}

std::string alphas_cell(const SettingSummary& s) {
  if (!s.setting.learns_alphas()) return s.setting.activation == "relu" ? "1 (fixed)" : "0 (fixed)";
  return format("%.2f / %.2f / %.2f", s.alphas[0].mean, s.alphas[1].mean, s.alphas[2].mean);
}

std::string network_cell(const Setting& s) {
  return s.activation == "alpha" ? "ReLU_α, λ " + lambda_text(*s.lambda)
         : s.activation == "relu" ? "ReLU"
                                  : s.activation == "linear" ? "linear" : s.activation;
}

const char* not_enough = "**Not enough runs yet**";

// The ReLU - linear gap of a pair of settings against the course report's 7.5 points:
// "consistent" when its 95 % interval holds 7.5.
std::string linear_gap_text(const SettingSummary& relu, const SettingSummary& linear) {
  const double gap = 100 * (relu.accuracy.mean - linear.accuracy.mean);
  const std::optional<Difference> d = accuracy_difference(relu, linear);
  if (!d) return format("%.2f points (one seed: no interval)", gap);
  return format("%.2f points (95 %% interval %.2f to %.2f): ", gap, d->interval.low, d->interval.high) +
         (d->interval.contains(claimed_linear_gap_points) ? "**consistent**" : "**disagrees**") + " with " +
         format("%g", claimed_linear_gap_points);
}

// Counts of equivalence verdicts (equivalence_verdict) over settings.
struct Verdicts {
  int agree = 0, disagree = 0, undecided = 0;
  void add(const std::string& verdict) {
    if (verdict.starts_with("**agrees**")) ++agree;
    else if (verdict.starts_with("**disagrees**")) ++disagree;
    else ++undecided;
  }
  std::string text() const {
    const int all = agree + disagree + undecided;
    return "agrees in " + std::to_string(agree) + ", disagrees in " + std::to_string(disagree) +
           " and is undecided in " + std::to_string(undecided) + " of " + count_text(all, "setting");
  }
};

std::string long_baselines_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "### Control: baselines trained as long as the long runs\n\n"
        "*Why.* The course report trains ReLU_α longer (its Fig. 11-14) \"to reach convergence\" and compares "
        "it with ReLU and linear nets trained for the short protocol: what training longer gives any network "
        "would read as ReLU_α's. Here the long ReLU_α runs are compared with ReLU and linear nets of as many "
        "epochs. *Rule:* as accurate as ReLU when the 95 % interval of the difference (Welch) lies within ±"
        << same_accuracy_points << " point, not when it lies outside, undecided otherwise.\n\n";
  const int first = short_epochs(study);
  std::map<std::tuple<int, std::string, std::string>, std::vector<const SettingSummary*>> long_runs;
  for (const SettingSummary& s : study.settings)
    if (s.setting.learns_alphas() && s.setting.epochs > first)
      long_runs[{s.setting.epochs, s.setting.reduction, s.setting.input_scale}].push_back(&s);
  if (long_runs.empty()) return md.str() + not_enough + ": no ReLU_α run longer than the short runs' " +
                                epochs_text(first) + ".\n\n";
  for (const auto& [key, alphas] : long_runs) {
    const auto& [epochs, reduction, scale] = key;
    Setting relu_setting{report_net, "relu", std::nullopt, epochs, reduction, scale};
    Setting linear_setting = relu_setting;
    linear_setting.activation = "linear";
    const SettingSummary* relu = find_setting(study, relu_setting);
    const SettingSummary* linear = find_setting(study, linear_setting);
    md << "**" << epochs_text(epochs) << ", " << reduction << " reduction, " << scale << " input.** ";
    if (!relu) {
      const SettingSummary* shorter = relu_baseline(study, alphas.front()->setting);
      md << not_enough << ": no ReLU run of " << epochs_text(epochs) << " here; "
         << (shorter ? "the results above compare the " + epochs_text(epochs) + " of ReLU_α with ReLU over " +
                           epochs_text(shorter->setting.epochs)
                     : std::string("the study has no ReLU run of this reduction and input at all"))
         << ".\n\n";
      continue;
    }
    md << "\n\n| network | epochs | seeds | test accuracy (%) | α1 / α2 / α3 | against ReLU over " << epochs_text(epochs)
       << " (points) | as accurate as ReLU |\n|---|---:|---:|---:|---|---|---|\n";
    Setting short_relu = relu_setting;
    short_relu.epochs = first;
    auto row = [&](const SettingSummary& s, bool judged) {
      const std::optional<Difference> d = accuracy_difference(s, *relu);
      const std::string verdict = equivalence_verdict(d, 100 * (s.accuracy.mean - relu->accuracy.mean));
      md << "| " << network_cell(s.setting) << " | " << s.setting.epochs << " | " << s.runs.size() << " | "
         << accuracy_text(s.accuracy) << " | " << alphas_cell(s) << " | "
         << (&s == relu ? std::string() : difference_text(s, *relu, d)) << " | " << (judged ? verdict : "") << " |\n";
      return verdict;
    };
    if (const SettingSummary* r = find_setting(study, short_relu)) row(*r, false);
    row(*relu, false);
    if (linear) row(*linear, false);
    Verdicts verdicts;
    for (const SettingSummary* s : alphas) verdicts.add(row(*s, true));
    md << "\nReLU_α over " << epochs_text(epochs) << " as accurate as ReLU over " << epochs_text(epochs) << ": "
       << verdicts.text() << ".";
    if (linear)
      md << " The linear net over " << epochs_text(epochs) << ": ReLU - linear = " << linear_gap_text(*relu, *linear)
         << ".";
    else md << " " << not_enough << " for the linear net over " << epochs_text(epochs) << ".";
    md << "\n\n";
  }
  return md.str();
}

std::string raw_input_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "### Control: raw input (0..255)\n\n"
        "*Why.* The course report says \"no transformations are performed\": its pixels may have been 0..255 "
        "rather than torchvision's 0..1, and the input's scale changes the first layer's gradients, so its "
        "7.5-point gap between ReLU and linear may come from it. Here the same settings run on both scales. "
        "*Rule:* the ReLU - linear gap is *consistent* with the report's when its 95 % interval (Welch) holds "
        << claimed_linear_gap_points << "; raw - unit differences are given with their 95 % interval.\n\n";
  const double init = protocol_alpha_init(study);
  std::map<std::string, std::vector<const SettingSummary*>> by_reduction;
  for (const SettingSummary* s : report_settings(study)) {
    const Setting& g = s->setting;
    if (g.input_scale == "raw" && g.optimizer == "adam" && g.lambda_scale == "none" &&
        (!g.alpha_init || *g.alpha_init == init))
      by_reduction[g.reduction].push_back(s);
  }
  if (by_reduction.empty()) return md.str() + not_enough + ": no run with raw input.\n\n";
  for (auto& [reduction, raw] : by_reduction) {
    std::ranges::stable_sort(raw, {}, [](const SettingSummary* s) {  // the baselines first
      return s->setting.activation == "relu" ? 0 : s->setting.activation == "linear" ? 1 : 2;
    });
    md << "**" << reduction << " reduction.**\n\n| network | epochs | seeds (raw) | accuracy, unit (%) | accuracy, raw "
          "(%) | raw - unit (points) | α, unit | α, raw |\n|---|---:|---:|---:|---:|---|---|---|\n";
    const SettingSummary *raw_relu = nullptr, *raw_linear = nullptr, *unit_relu = nullptr, *unit_linear = nullptr;
    for (const SettingSummary* s : raw) {
      Setting unit_setting = s->setting;
      unit_setting.input_scale = "unit";
      const SettingSummary* unit = find_setting(study, unit_setting);
      md << "| " << network_cell(s->setting) << " | " << s->setting.epochs << " | " << s->runs.size() << " | "
         << (unit ? accuracy_text(unit->accuracy) : "no run") << " | " << accuracy_text(s->accuracy) << " | "
         << (unit ? difference_text(*s, *unit) : "") << " | " << (unit ? alphas_cell(*unit) : "") << " | "
         << alphas_cell(*s) << " |\n";
      if (s->setting.activation == "relu" && !raw_relu) raw_relu = s, unit_relu = unit;
      if (s->setting.activation == "linear" && !raw_linear) raw_linear = s, unit_linear = unit;
    }
    md << "\nThe course report's 7.5-point gap: ";
    if (unit_relu && unit_linear) md << "unit input " << linear_gap_text(*unit_relu, *unit_linear) << "; ";
    else md << "unit input: no ReLU and linear pair; ";
    if (raw_relu && raw_linear) md << "raw input " << linear_gap_text(*raw_relu, *raw_linear) << ".\n\n";
    else md << "raw input: " << not_enough << " (no ReLU and linear pair).\n\n";
  }
  return md.str();
}

// Whether alpha k of a run started at `init` behaves as if 1 were an attracting equilibrium:
// started at 1 it ends within near_alpha of 1, started elsewhere it ends closer to 1 than it began.
bool held_at_one(const Run& run, double init, int k) {
  const double final_distance = std::abs(run.final_alphas()[k] - 1.0);
  if (std::abs(init - 1.0) < 1e-6) return final_distance <= near_alpha;
  return final_distance < std::abs(init - 1.0);
}

std::string alpha_init_markdown(const StudySummary& study) {
  std::ostringstream md;
  const double protocol_init = protocol_alpha_init(study);
  md << "### Control: initial α of 0.9, 1 and 1.1\n\n"
        "*Why.* The course report finds it \"surprising to see that α = 1 is exactly an equilibrium (neither "
        "α = 0.9 nor α = 1.1) independently from the penalization parameter\". Its runs started at α = "
     << format("%g", protocol_init)
     << ", which cannot show that; runs started near 1 can. *Rule:* for each run started away from the "
        "protocol's α, layer k's α_k is *held at 1* when, started at 1, it ends within "
     << near_alpha << " of 1 and, started elsewhere, it ends closer to 1 than it started. The claim holds for a "
        "layer when every such run holds it, and needs runs from 1 and from a value on either side.\n\n";
  std::map<std::tuple<double, int, std::string, std::string>, std::map<double, const SettingSummary*>> groups;
  for (const SettingSummary* s : report_settings(study)) {
    const Setting& g = s->setting;
    if (g.learns_alphas() && g.alpha_init && g.optimizer == "adam" && g.lambda_scale == "none")
      groups[{*g.lambda, g.epochs, g.reduction, g.input_scale}][*g.alpha_init] = s;
  }
  bool any = false;
  for (const auto& [key, by_init] : groups) {
    if (by_init.size() == 1 && by_init.begin()->first == protocol_init) continue;
    any = true;
    const auto& [lambda, epochs, reduction, scale] = key;
    md << "**λ " << lambda_text(lambda) << ", " << epochs_text(epochs) << ", " << reduction << " reduction, " << scale
       << " input.**\n\n| initial α | seeds | test accuracy (%) | α1 | α2 | α3 |\n|---:|---:|---:|---|---|---|\n";
    bool below = false, at_one = false, above = false;
    std::array<int, 3> held{};
    int runs = 0;
    for (const auto& [init, s] : by_init) {
      md << "| " << format("%g", init) << (init == protocol_init ? " (protocol)" : "") << " | " << s->runs.size()
         << " | " << accuracy_text(s->accuracy) << " |";
      for (int k = 0; k < 3; ++k) md << ' ' << alpha_text(s->alphas[k]) << " (" << seed_fates_cell(*s, k) << ") |";
      md << '\n';
      if (init == protocol_init) continue;
      below |= init < 1.0 - 1e-6;
      above |= init > 1.0 + 1e-6;
      at_one |= std::abs(init - 1.0) <= 1e-6;
      for (const Run* run : s->runs) {
        ++runs;
        for (int k = 0; k < 3; ++k) held[k] += held_at_one(*run, init, k);
      }
    }
    md << "\nEach α cell: mean ± standard deviation of the final α over the seeds, with their fates (*→1*: within "
       << near_alpha << " of 1; *moving*: not settled over the last epoch).\n\n";
    if (!(below && at_one && above)) {
      md << not_enough << ": the claim needs runs started at 1 and on either side of it.\n\n";
      continue;
    }
    for (int k = 0; k < 3; ++k)
      md << "- α" << k + 1 << " held at 1 in " << held[k] << " of " << runs << " runs: "
         << (held[k] == runs ? "**the claim holds**"
             : held[k] == 0  ? "**the claim does not hold**"
                             : "**the claim holds in part**")
         << ".\n";
    md << "\n";
  }
  if (!any)
    md << not_enough << ": no run started from another α than the protocol's " << format("%g", protocol_init)
       << ".\n\n";
  return md.str();
}

std::string scaled_penalty_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "### Control: the penalty scaled to the reduction\n\n"
        "*Why.* Summing the cross-entropy over a batch of B images multiplies its gradient by B and leaves the "
        "penalty's as it is, so at the same λ the penalty weighs B times less under sum than under mean "
        "reduction. With the penalty multiplied by B (`--lambda-scale reduction`) the summed loss is exactly B "
        "times the mean-reduction loss, and Adam, which divides each step by the gradient's running scale, "
        "takes the same steps (up to its ε): if the difference between the reductions is the penalty's relative "
        "weight and nothing else, these runs reproduce mean reduction at the same λ. *Rule:* they *match* when "
        "every layer's mean final α differs from mean reduction's by at most "
     << near_alpha << " and the accuracies are as accurate (95 % interval of the difference within ±"
     << same_accuracy_points << " point); they *differ* when an α differs by more or the interval lies outside; "
        "otherwise undecided.\n\n";
  std::vector<const SettingSummary*> scaled;
  for (const SettingSummary* s : report_settings(study))
    if (s->setting.lambda_scale != "none" && s->setting.optimizer == "adam") scaled.push_back(s);
  if (scaled.empty()) return md.str() + not_enough + ": no run with a scaled penalty.\n\n";
  md << "| λ | epochs | seeds | accuracy, sum scaled (%) | accuracy, mean (%) | scaled - mean (points) | α, sum scaled "
        "| α, mean | α, sum unscaled | largest α difference | verdict |\n"
        "|---:|---:|---:|---:|---:|---|---|---|---|---:|---|\n";
  int matches = 0, differs = 0, undecided = 0;
  for (const SettingSummary* s : scaled) {
    Setting mean_setting = s->setting, sum_setting = s->setting;
    mean_setting.lambda_scale = sum_setting.lambda_scale = "none";
    mean_setting.reduction = "mean";
    const SettingSummary* mean = find_setting(study, mean_setting);
    const SettingSummary* sum = find_setting(study, sum_setting);
    md << "| " << lambda_text(*s->setting.lambda) << " | " << s->setting.epochs << " | " << s->runs.size() << " | "
       << accuracy_text(s->accuracy) << " | ";
    if (!mean) {
      md << "no run | | " << alphas_cell(*s) << " | | " << (sum ? alphas_cell(*sum) : "no run") << " | | "
         << not_enough << " |\n";
      continue;
    }
    double largest = 0.0;
    for (int k = 0; k < 3; ++k) largest = std::max(largest, std::abs(s->alphas[k].mean - mean->alphas[k].mean));
    const std::optional<Difference> d = accuracy_difference(*s, *mean);
    const std::string accuracy = equivalence_verdict(d, 100 * (s->accuracy.mean - mean->accuracy.mean));
    std::string verdict;
    if (largest > near_alpha || accuracy.starts_with("**disagrees**")) verdict = "**differs**", ++differs;
    else if (accuracy.starts_with("**agrees**")) verdict = "**matches**", ++matches;
    else verdict = "**undecided**", ++undecided;
    if (!d) verdict += " (one seed)";
    md << accuracy_text(mean->accuracy) << " | " << difference_text(*s, *mean, d) << " | " << alphas_cell(*s) << " | "
       << alphas_cell(*mean) << " | " << (sum ? alphas_cell(*sum) : "no run") << " | " << format("%.3f", largest)
       << " | " << verdict << " |\n";
  }
  md << "\nThe scaled penalty matches mean reduction at " << matches << ", differs at " << differs
     << " and is undecided at " << undecided << " of " << matches + differs + undecided << " λ compared.\n\n";
  return md.str();
}

// The steepest fall of any alpha of a run, per step: the largest drop over `fall_window`
// consecutive steps, divided by their number (fewer in a shorter run).
constexpr std::size_t fall_window = 50;

double steepest_fall(const Run& run) {
  const std::size_t window = std::min(fall_window, run.steps.size() - 1);
  double steepest = 0.0;
  for (std::size_t i = window; i < run.steps.size() && window > 0; ++i)
    for (int k = 0; k < 3; ++k)
      steepest = std::max(steepest, (run.steps[i - window].alphas[k] - run.steps[i].alphas[k]) / double(window));
  return steepest;
}

// The steepest fall over a setting's seeds, in units of each run's learning rate.
Spread steepest_fall_in_lr(const SettingSummary& s) {
  std::vector<double> falls;
  for (const Run* run : s.runs)
    if (run->lr > 0.0) falls.push_back(steepest_fall(*run) / run->lr);
  return spread(falls);
}

// Whether a quantity (by lambda, ascending) stays within a factor 2 over the lambdas, and
// whether it grows by more than a factor 2 from the smallest lambda to the largest.
bool within_factor_two(const std::vector<double>& v) {
  const auto [low, high] = std::ranges::minmax(v);
  return low > 0.0 && high <= 2.0 * low;
}
bool grows_twofold(const std::vector<double>& v) { return v.front() > 0.0 && v.back() > 2.0 * v.front(); }

std::string sgd_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "### Control: SGD beside Adam\n\n"
        "*Why.* A likely mechanism of the difference between the reductions: Adam normalises each parameter's "
        "step by the running scale of its gradient, so once the penalty's gradient (λ for a positive α) "
        "dominates an α's, the α falls by about the learning rate every step whatever λ is; plain SGD moves it "
        "by the learning rate times its gradient, about lr x λ. The measure here is each run's *steepest fall*: "
        "the largest drop of any α over "
     << fall_window
     << " consecutive steps, per step, in units of the run's learning rate (mean ± standard deviation over "
        "the seeds). *Rule:* the mechanism is *supported* when, over the λ run with both optimisers, Adam's "
        "steepest fall stays within a factor 2 while SGD's grows more than twofold from the smallest λ to the "
        "largest; *not supported* when either fails.\n\n";
  std::vector<const SettingSummary*> sgd;
  for (const SettingSummary* s : report_settings(study))
    if (s->setting.optimizer == "sgd") sgd.push_back(s);
  if (sgd.empty()) return md.str() + not_enough + ": no run with SGD.\n\n";
  md << "| network | epochs | reduction | seeds (SGD) | accuracy, SGD (%) | accuracy, Adam (%) | SGD - Adam (points) | "
        "α, SGD | α, Adam | steepest fall, SGD (lr a step) | steepest fall, Adam (lr a step) |\n"
        "|---|---:|---|---:|---:|---:|---|---|---|---:|---:|\n";
  std::map<std::tuple<int, std::string, std::string>, std::vector<std::pair<double, double>>> adam_falls, sgd_falls;
  for (const SettingSummary* s : sgd) {
    Setting adam_setting = s->setting;
    adam_setting.optimizer = "adam";
    const SettingSummary* adam = find_setting(study, adam_setting);
    const bool alphas = s->setting.learns_alphas();
    const Spread fall = steepest_fall_in_lr(*s);
    const Spread adam_fall = adam && alphas ? steepest_fall_in_lr(*adam) : Spread{};
    auto fall_text = [](const Spread& f) {
      return f.count == 0 ? std::string() : f.count > 1 ? format("%.2f ± %.2f", f.mean, f.std) : format("%.2f", f.mean);
    };
    md << "| " << network_cell(s->setting) << " | " << s->setting.epochs << " | " << s->setting.reduction << " | "
       << s->runs.size() << " | " << accuracy_text(s->accuracy) << " | " << (adam ? accuracy_text(adam->accuracy) : "no run")
       << " | " << (adam ? difference_text(*s, *adam) : "") << " | " << alphas_cell(*s) << " | "
       << (adam ? alphas_cell(*adam) : "") << " | " << (alphas ? fall_text(fall) : "") << " | "
       << (alphas ? fall_text(adam_fall) : "") << " |\n";
    if (alphas && adam && fall.count && adam_fall.count) {
      const auto key = std::tuple(s->setting.epochs, s->setting.reduction, s->setting.input_scale);
      sgd_falls[key].emplace_back(*s->setting.lambda, fall.mean);
      adam_falls[key].emplace_back(*s->setting.lambda, adam_fall.mean);
    }
  }
  md << "\n";
  if (sgd_falls.empty()) return md.str() + not_enough + ": no ReLU_α setting run with both SGD and Adam.\n\n";
  for (auto& [key, falls] : sgd_falls) {
    const auto& [epochs, reduction, scale] = key;
    std::vector<std::pair<double, double>>& adam = adam_falls[key];
    std::ranges::sort(falls);
    std::ranges::sort(adam);
    md << "**" << epochs_text(epochs) << ", " << reduction << " reduction, " << scale << " input:** ";
    if (falls.size() < 2) {
      md << not_enough << ": the rule needs at least two λ with both optimisers (" << falls.size() << " here).\n\n";
      continue;
    }
    std::vector<double> s_values, a_values;
    for (const auto& [lambda, fall] : falls) s_values.push_back(fall);
    for (const auto& [lambda, fall] : adam) a_values.push_back(fall);
    const bool adam_flat = within_factor_two(a_values), sgd_grows = grows_twofold(s_values);
    md << "from λ " << lambda_text(falls.front().first) << " to " << lambda_text(falls.back().first)
       << ", Adam's steepest fall goes from " << format("%.2f to %.2f", a_values.front(), a_values.back())
       << " lr a step (" << (adam_flat ? "within" : "not within") << " a factor 2), SGD's from "
       << format("%.2f to %.2f", s_values.front(), s_values.back()) << " (" << (sgd_grows ? "more" : "not more")
       << " than twofold): the mechanism is " << (adam_flat && sgd_grows ? "**supported**" : "**not supported**")
       << ".\n\n";
  }
  return md.str();
}

}  // namespace

std::string controls_markdown(const StudySummary& study, const std::string& overview) {
  return "## Controls\n\nEach control changes one thing against the protocol to test a claim or an explanation; "
         "each section gives its rule, its table and what the runs present say.\n\n" + overview +
         long_baselines_markdown(study) + raw_input_markdown(study) + alpha_init_markdown(study) +
         scaled_penalty_markdown(study) + sgd_markdown(study);
}

}  // namespace linconv::cli
