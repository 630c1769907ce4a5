// The findings section of the report: every sentence is computed from the summaries, with the
// thresholds it uses stated in the text.
#include <cmath>
#include <map>
#include <sstream>

#include "judgements.hpp"
#include "statistics.hpp"
#include "study.hpp"

namespace linconv::cli {

Fate fate_of(double alpha) {
  if (std::abs(alpha) <= near_alpha) return Fate::zero;
  if (std::abs(alpha - 1.0) <= near_alpha) return Fate::one;
  if (alpha < 0.0) return Fate::below_zero;
  if (alpha > 1.0) return Fate::above_one;
  return Fate::between;
}

namespace {

constexpr double claimed_alpha1_low = 0.5, claimed_alpha1_high = 0.8;

const char* fate_text(Fate f) {
  switch (f) {
    case Fate::zero: return "go to 0";
    case Fate::one: return "go to 1";
    case Fate::between: return "settle between";
    case Fate::below_zero: return "end below 0";
    case Fate::above_one: return "end above 1";
  }
  return "";
}

std::string verdict(bool agrees) { return agrees ? "**agrees**" : "**disagrees**"; }

std::vector<const SettingSummary*> alpha_settings(const StudySummary& study) {
  std::vector<const SettingSummary*> list;
  for (const SettingSummary& s : study.settings)
    if (s.setting.learns_alphas()) list.push_back(&s);
  return list;
}

}  // namespace

const char* fate_short(Fate f) {
  switch (f) {
    case Fate::zero: return "→0";
    case Fate::one: return "→1";
    case Fate::between: return "between";
    case Fate::below_zero: return "<0";
    case Fate::above_one: return ">1";
  }
  return "";
}

int shortest_alpha_epochs(const StudySummary& study) {
  int first = 0;
  for (const SettingSummary& s : study.settings)
    if (s.setting.learns_alphas() && (first == 0 || s.setting.epochs < first)) first = s.setting.epochs;
  return first;
}

std::string group_of(const Setting& s) { return s.reduction + " reduction, " + s.input_scale + " input"; }

double last_epoch_alpha_change(const Run& run, int k) {
  std::vector<double> values;
  for (const StepRow& row : run.steps)
    if (row.epoch == run.epochs.back().epoch) values.push_back(row.alphas[k]);
  return last_epoch_change(values);
}

std::string seed_fates_cell(const SettingSummary& s, int k) {
  std::map<Fate, int> counts;
  int moving = 0;
  for (const Run* run : s.runs) {
    ++counts[fate_of(run->final_alphas()[k])];
    moving += std::abs(last_epoch_alpha_change(*run, k)) > settled_change;
  }
  std::ostringstream cell;
  const char* separator = "";
  for (const auto& [fate, count] : counts) {
    cell << separator << count << ' ' << fate_short(fate);
    separator = ", ";
  }
  if (moving) cell << " · " << moving << " moving";
  return cell.str();
}

namespace {

std::string alphas_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "### Where the alphas go, seed by seed\n\nEach seed's final α is classed: *→0* within " << near_alpha
     << " of 0, *→1* within " << near_alpha << " of 1, *between* in between (*<0* and *>1* outside [0, 1]). Outcomes "
        "can differ between seeds of one setting, so each cell counts the seeds; an α is *moving* when a "
        "least-squares line through its values over the run's last epoch changes it by more than "
     << settled_change << " over that epoch: it has not settled where it ends.\n\n";
  std::map<std::string, std::vector<const SettingSummary*>> groups;
  for (const SettingSummary* s : alpha_settings(study)) groups[group_of(s->setting)].push_back(s);
  if (groups.empty()) md << "No ReLU_α run finished.\n\n";
  for (const auto& [group, settings] : groups) {
    md << "**" << group << "**\n\n| λ | epochs | seeds | α1 | α2 | α3 |\n|---:|---:|---:|---|---|---|\n";
    for (const SettingSummary* s : settings) {
      md << "| " << lambda_text(*s->setting.lambda) << " | " << s->setting.epochs << " | " << s->runs.size() << " |";
      for (int k = 0; k < 3; ++k) md << ' ' << seed_fates_cell(*s, k) << " |";
      md << "\n";
    }
    md << "\n";
  }
  return md.str();
}

}  // namespace

std::vector<double> accuracy_points(const SettingSummary& s) {
  std::vector<double> values;
  for (const Run* run : s.runs) values.push_back(100 * run->test_acc());
  return values;
}

std::optional<Difference> accuracy_difference(const SettingSummary& a, const SettingSummary& b) {
  return welch(accuracy_points(a), accuracy_points(b));
}

std::string difference_text(const SettingSummary& a, const SettingSummary& b, const std::optional<Difference>& d) {
  const std::string points = points_text(100 * (a.accuracy.mean - b.accuracy.mean));
  if (!d) return points + " (one seed: no interval)";
  return points + " (95 % interval " + points_text(d->interval.low) + " to " + points_text(d->interval.high) +
         format(", Welch p = %.2g)", d->p);
}
std::string difference_text(const SettingSummary& a, const SettingSummary& b) {
  return difference_text(a, b, accuracy_difference(a, b));
}

namespace {

// Each ReLU setting with the linear setting it is compared with, and the accuracy gap in points.
struct BaselinePair {
  const SettingSummary* relu;
  const SettingSummary* linear;
  double gap_points;                // ReLU minus linear
  std::optional<Difference> seeds;  // the same, over the seeds (accuracy_difference)
};

std::vector<BaselinePair> baseline_pairs(const StudySummary& study) {
  std::vector<BaselinePair> pairs;
  for (const SettingSummary& s : study.settings)
    if (const SettingSummary* linear = s.setting.activation == "relu" ? linear_baseline(study, s.setting) : nullptr)
      pairs.push_back({&s, linear, 100 * (s.accuracy.mean - linear->accuracy.mean), accuracy_difference(s, *linear)});
  return pairs;
}

std::string linear_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "### Linear against ReLU\n\n";
  const std::vector<BaselinePair> pairs = baseline_pairs(study);
  for (const auto& [relu, linear, gap, seeds] : pairs)
    md << "- " << group_of(relu->setting) << ": ReLU " << accuracy_text(relu->accuracy) << " % ("
       << epochs_text(relu->setting.epochs) << "), linear " << accuracy_text(linear->accuracy) << " % ("
       << epochs_text(linear->setting.epochs) << "): the linear net is "
       << format("%.2f points (%.1f %% relative) ", std::abs(gap), std::abs(gap) / relu->accuracy.mean)
       << (gap >= 0 ? "less" : "more") << " accurate; ReLU - linear = " << difference_text(*relu, *linear, seeds) << ".\n";
  if (pairs.empty()) md << "The study has no pair of ReLU and linear runs to compare.\n";
  md << "\n";
  return md.str();
}

// The same ReLU_alpha or baseline setting under the other reduction, if the study has it.
const SettingSummary* with_reduction(const StudySummary& study, const Setting& setting, const std::string& reduction) {
  Setting other = setting;
  other.reduction = reduction;
  for (const SettingSummary& s : study.settings)
    if (s.setting == other) return &s;
  return nullptr;
}

std::string alphas_cell(const SettingSummary& s) {
  if (!s.setting.learns_alphas()) return "";
  return format("%.2f / %.2f / %.2f", s.alphas[0].mean, s.alphas[1].mean, s.alphas[2].mean);
}

std::string reductions_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "### Mean against sum reduction\n\nThe same settings with the cross-entropy averaged (mean) and summed "
        "(sum) over the batch; alphas are the final means α1 / α2 / α3; the last column is the sum reduction's "
        "accuracy minus the mean reduction's, with the 95 % interval of Welch's test over the seeds.\n\n";
  std::ostringstream table;
  int pairs = 0;
  std::map<std::string, std::map<Fate, int>> fates;  // by reduction, over seeds
  for (const SettingSummary& s : study.settings) {
    if (s.setting.reduction != "mean") continue;
    const SettingSummary* sum = with_reduction(study, s.setting, "sum");
    if (!sum) continue;
    ++pairs;
    for (int k = 0; k < 3 && s.setting.learns_alphas(); ++k)
      for (const SettingSummary* side : {&s, sum})
        for (const Run* run : side->runs) ++fates[side->setting.reduction][fate_of(run->final_alphas()[k])];
    const Setting& g = s.setting;
    table << "| " << g.activation << " | " << (g.lambda ? lambda_text(*g.lambda) : "") << " | " << g.epochs << " | "
          << g.input_scale << " | " << accuracy_text(s.accuracy) << " | " << accuracy_text(sum->accuracy) << " | "
          << alphas_cell(s) << " | " << alphas_cell(*sum) << " | " << difference_text(*sum, s) << " |\n";
  }
  if (pairs == 0) return md.str() + "The study has no setting run with both reductions.\n\n";
  md << "| activation | λ | epochs | input | accuracy, mean (%) | accuracy, sum (%) | alphas, mean | alphas, sum | "
        "sum - mean (points) |\n|---|---:|---:|---|---:|---:|---|---|---|\n"
     << table.str() << "\n";
  for (const auto& [reduction, counts] : fates) {
    md << "Under the " << reduction << " reduction, of the final alphas of every seed";
    const char* separator = " ";
    for (const auto& [fate, count] : counts) {
      md << separator << count << ' ' << fate_text(fate);
      separator = ", ";
    }
    md << ". ";
  }
  md << "\n\n";
  return md.str();
}

}  // namespace

std::string equivalence_verdict(const std::optional<Difference>& d, double difference) {
  if (!d) return verdict(std::abs(difference) <= same_accuracy_points) + " (one seed)";
  const Interval& interval = d->interval;
  if (interval.low >= -same_accuracy_points && interval.high <= same_accuracy_points) return verdict(true);
  if (interval.low > same_accuracy_points || interval.high < -same_accuracy_points) return verdict(false);
  return "**undecided**";
}

namespace {

// The parts of the course report's picture of the alphas, held or not by one run's final alphas.
struct AlphaParts {
  int runs = 0, alpha3_one = 0, alpha2_one = 0, alpha1_in = 0, ordered = 0, all = 0;
  void add(const std::array<double, 3>& a) {
    const bool three = std::abs(a[2] - 1.0) <= near_alpha, two = std::abs(a[1] - 1.0) <= near_alpha;
    const bool one = a[0] >= claimed_alpha1_low && a[0] <= claimed_alpha1_high, order = a[2] >= a[1] && a[1] >= a[0];
    ++runs;
    alpha3_one += three;
    alpha2_one += two;
    alpha1_in += one;
    ordered += order;
    all += three && two && one && order;
  }
};

// "[0.41, 0.65] / [0.70, 0.88] / [0.93, 0.99]": the 95 % interval of each layer's mean final
// alpha over the seeds (mean_interval); "one seed" without one.
std::string alpha_intervals_cell(const SettingSummary& s) {
  std::string cell;
  for (int k = 0; k < 3; ++k) {
    std::vector<double> finals;
    for (const Run* run : s.runs) finals.push_back(run->final_alphas()[k]);
    const std::optional<Interval> interval = mean_interval(finals);
    if (!interval) return "one seed";
    cell += (k ? " / " : "") + format("[%.2f, %.2f]", interval->low, interval->high);
  }
  return cell;
}

// The per-setting claims (the alphas' picture, part by part; ReLU_alpha as accurate as ReLU) as
// bullets, then `more_bullets`, then the table of the settings.
std::string setting_claims_markdown(const StudySummary& study, const std::string& more_bullets) {
  std::ostringstream table;
  std::map<std::string, AlphaParts> parts;  // by group
  int accuracy_agree = 0, accuracy_disagree = 0, count = 0, compared = 0;
  for (const SettingSummary* s : alpha_settings(study)) {
    AlphaParts setting_parts;
    for (const Run* run : s->runs) {
      setting_parts.add(run->final_alphas());
      parts[group_of(s->setting)].add(run->final_alphas());
    }
    const SettingSummary* relu = relu_baseline(study, s->setting);
    const double difference = relu ? 100 * (s->accuracy.mean - relu->accuracy.mean) : 0.0;
    const std::optional<Difference> versus_relu = relu ? accuracy_difference(*s, *relu) : std::nullopt;
    const std::string accuracy = relu ? equivalence_verdict(versus_relu, difference) : "";
    ++count;
    compared += relu != nullptr;
    accuracy_agree += accuracy.starts_with(verdict(true));
    accuracy_disagree += accuracy.starts_with(verdict(false));
    table << "| " << lambda_text(*s->setting.lambda) << " | " << s->setting.epochs << " | " << group_of(s->setting)
          << " | " << alphas_cell(*s) << " | " << setting_parts.all
          << " of " << setting_parts.runs << " | "
          << (relu ? difference_text(*s, *relu, versus_relu) + " | " + accuracy : "no ReLU run | ") << " | "
          << alpha_intervals_cell(*s) << " |\n";
  }
  if (count == 0) return more_bullets + "\n";
  std::ostringstream md;
  md << "- The alphas' picture, part by part, counted over the runs (every seed of every λ):\n";
  for (const auto& [group, p] : parts)
    md << "  - " << group << " (" << p.runs << " runs): α3 → 1 in " << p.alpha3_one << ", α2 → 1 in " << p.alpha2_one
       << ", α1 in [" << claimed_alpha1_low << ", " << claimed_alpha1_high << "] in " << p.alpha1_in
       << ", α3 ≥ α2 ≥ α1 in " << p.ordered << "; all four in " << p.all << ".\n";
  md << "- ReLU_α as accurate as ReLU (within " << same_accuracy_points << " point, judged on the 95 % interval of "
     << "the difference): agrees in " << accuracy_agree << ", disagrees in " << accuracy_disagree << " and is "
     << "undecided in " << compared - accuracy_agree - accuracy_disagree << " of " << compared
     << " settings (those with a ReLU run of the same reduction and input scale).\n"
     << more_bullets;
  md << "\n| λ | epochs | setting | α1 / α2 / α3 | runs with the whole α picture | accuracy vs ReLU (points) | "
        "accuracy claim | 95 % intervals of α1 / α2 / α3 |\n|---:|---:|---|---|---:|---|---|---|\n"
     << table.str() << "\n";
  return md.str();
}

// The linear gap against the report's: consistent when its 95 % interval holds it.
std::string linear_claim_markdown(const StudySummary& study) {
  std::ostringstream md;
  for (const auto& [relu, linear, gap, seeds] : baseline_pairs(study)) {
    md << "- linear " << claimed_linear_gap_points << " points less accurate than ReLU (" << group_of(relu->setting)
       << ", " << epochs_text(relu->setting.epochs) << "): ";
    if (seeds)
      md << (seeds->interval.contains(claimed_linear_gap_points) ? "**consistent**" : "**disagrees**")
         << ", the gap is " << format("%.2f points (95 %% interval %.2f to %.2f)", gap, seeds->interval.low, seeds->interval.high) << ", "
         << format("%.1f %% of the ReLU net's accuracy", gap / relu->accuracy.mean) << ".\n";
    else
      md << "one seed, no interval: the gap is " << format("%.2f points", gap) << ".\n";
  }
  return md.str();
}

}  // namespace

std::string findings_markdown(const StudySummary& study) {
  return alphas_markdown(study) + linear_markdown(study) + reductions_markdown(study);
}

std::string course_claims_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "## The course report's claims, part by part\n\nThe report claims that for every λ α2 and α3 go to 1 and α1 settles in ["
     << claimed_alpha1_low << ", " << claimed_alpha1_high << "], with α3 > α2 > α1, that ReLU_α is as accurate as "
     << "ReLU, and that the linear net is " << claimed_linear_gap_points << " % less accurate than the ReLU net "
     << "(read here as points of accuracy). Each part is judged on every seed's run: α2, α3 *go to 1* when within "
     << near_alpha << " of 1; *as accurate* means within " << same_accuracy_points << " point, and a 95 % interval "
     << "(Welch) that crosses that edge leaves the claim undecided; the linear gap is *consistent* with the "
     << "report's when its 95 % interval holds " << claimed_linear_gap_points << ". That α = 1 is an "
     << "equilibrium is tested by the control *initial α* below"
     << (study.first_attempt.empty() ? "" : "; that ReLU and linear performed the same on the first attempt, by "
                                            "its own section")
     << ".\n\n";
  return md.str() + setting_claims_markdown(study, linear_claim_markdown(study));
}

}  // namespace linconv::cli
