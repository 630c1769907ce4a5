// The findings section of the report: every sentence is computed from the summaries, with the
// thresholds it uses stated in the text.
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "study.hpp"

namespace linconv::cli {
namespace {

// An alpha "goes to" 0 or 1 when its final mean is within this of it.
constexpr double near = 0.1;
// The course report's claims.
constexpr double claimed_linear_gap_points = 7.5, claimed_gap_tolerance_points = 2.5;
constexpr double claimed_alpha1_low = 0.5, claimed_alpha1_high = 0.8;

enum class Fate { zero, one, between, below_zero, above_one };

Fate fate_of(double alpha) {
  if (std::abs(alpha) <= near) return Fate::zero;
  if (std::abs(alpha - 1.0) <= near) return Fate::one;
  if (alpha < 0.0) return Fate::below_zero;
  if (alpha > 1.0) return Fate::above_one;
  return Fate::between;
}

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

std::string format(const char* pattern, double a, double b = 0.0, double c = 0.0) {
  char text[96];
  std::snprintf(text, sizeof text, pattern, a, b, c);
  return text;
}

std::string verdict(bool agrees) { return agrees ? "**agrees**" : "**disagrees**"; }

// "mean reduction, unit input": the groups that the findings compare within.
std::string group_of(const Setting& s) { return s.reduction + " reduction, " + s.input_scale + " input"; }

// "0.5 (3 ep.)"
std::string short_setting(const Setting& s) {
  return lambda_text(*s.lambda) + " (" + std::to_string(s.epochs) + " ep.)";
}

std::vector<const SettingSummary*> alpha_settings(const StudySummary& study) {
  std::vector<const SettingSummary*> list;
  for (const SettingSummary& s : study.settings)
    if (s.setting.learns_alphas()) list.push_back(&s);
  return list;
}

std::string alphas_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "### Where the alphas go\n\nAn alpha *goes to 0* (or *to 1*) when its final value, the mean over the seeds, "
        "is within "
     << near << " of 0 (of 1), and *settles between* when it ends between " << near << " and " << 1 - near
     << ".\n\n";
  std::map<std::string, std::array<std::map<Fate, std::vector<std::string>>, 3>> groups;
  for (const SettingSummary* s : alpha_settings(study))
    for (int k = 0; k < 3; ++k)
      groups[group_of(s->setting)][k][fate_of(s->alphas[k].mean)].push_back(short_setting(s->setting));
  if (groups.empty()) md << "No ReLU_α run finished.\n\n";
  for (const auto& [group, alphas] : groups) {
    md << "- " << group << " (by λ):\n";
    for (int k = 0; k < 3; ++k) {
      md << "  - α" << k + 1 << ":";
      const char* separator = " ";
      for (const auto& [fate, lambdas] : alphas[k]) {
        md << separator << fate_text(fate) << " for λ ";
        for (std::size_t i = 0; i < lambdas.size(); ++i) md << (i ? ", " : "") << lambdas[i];
        separator = "; ";
      }
      md << "\n";
    }
  }
  md << "\n";
  return md.str();
}

// Each ReLU setting with the linear setting it is compared with, and the accuracy gap in points.
struct BaselinePair {
  const SettingSummary* relu;
  const SettingSummary* linear;
  double gap_points;  // ReLU minus linear
};

std::vector<BaselinePair> baseline_pairs(const StudySummary& study) {
  std::vector<BaselinePair> pairs;
  for (const SettingSummary& s : study.settings)
    if (const SettingSummary* linear = s.setting.activation == "relu" ? linear_baseline(study, s.setting) : nullptr)
      pairs.push_back({&s, linear, 100 * (s.accuracy.mean - linear->accuracy.mean)});
  return pairs;
}

std::string linear_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "### Linear against ReLU\n\n";
  const std::vector<BaselinePair> pairs = baseline_pairs(study);
  for (const auto& [relu, linear, gap] : pairs)
    md << "- " << group_of(relu->setting) << ": ReLU " << accuracy_text(relu->accuracy) << " % ("
       << epochs_text(relu->setting.epochs) << "), linear " << accuracy_text(linear->accuracy) << " % ("
       << epochs_text(linear->setting.epochs) << "): the linear net is "
       << format("%.2f points (%.1f %% relative) ", std::abs(gap), std::abs(gap) / relu->accuracy.mean)
       << (gap >= 0 ? "less" : "more") << " accurate.\n";
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
        "(sum) over the batch; alphas are the final means α1 / α2 / α3.\n\n";
  std::ostringstream table;
  int pairs = 0;
  double accuracy_difference = 0.0;
  std::map<std::string, std::map<Fate, int>> fates;  // by reduction
  for (const SettingSummary& s : study.settings) {
    if (s.setting.reduction != "mean") continue;
    const SettingSummary* sum = with_reduction(study, s.setting, "sum");
    if (!sum) continue;
    ++pairs;
    accuracy_difference += 100 * (sum->accuracy.mean - s.accuracy.mean);
    for (int k = 0; k < 3 && s.setting.learns_alphas(); ++k) {
      ++fates["mean"][fate_of(s.alphas[k].mean)];
      ++fates["sum"][fate_of(sum->alphas[k].mean)];
    }
    const Setting& g = s.setting;
    table << "| " << g.activation << " | " << (g.lambda ? lambda_text(*g.lambda) : "") << " | " << g.epochs << " | "
          << g.input_scale << " | " << accuracy_text(s.accuracy) << " | " << accuracy_text(sum->accuracy) << " | "
          << alphas_cell(s) << " | " << alphas_cell(*sum) << " |\n";
  }
  if (pairs == 0) return md.str() + "The study has no setting run with both reductions.\n\n";
  md << "| activation | λ | epochs | input | accuracy, mean (%) | accuracy, sum (%) | alphas, mean | alphas, sum |\n"
        "|---|---:|---:|---|---:|---:|---|---|\n"
     << table.str() << "\nOver these " << pairs << " settings, the sum reduction is on average "
     << format("%.2f points ", std::abs(accuracy_difference / pairs)) << (accuracy_difference >= 0 ? "more" : "less")
     << " accurate than the mean.";
  for (const auto& [reduction, counts] : fates) {
    md << " Under the " << reduction << " reduction, of the final alphas";
    const char* separator = " ";
    for (const auto& [fate, count] : counts) {
      md << separator << count << ' ' << fate_text(fate);
      separator = ", ";
    }
    md << ".";
  }
  md << "\n\n";
  return md.str();
}

// The per-setting claims (alpha2, alpha3 -> 1 and alpha1 in its interval; ReLU_alpha as accurate as
// ReLU) as bullets, then `more_bullets`, then the table of the settings.
std::string setting_claims_markdown(const StudySummary& study, const std::string& more_bullets) {
  std::ostringstream table;
  int alpha_agree = 0, accuracy_agree = 0, count = 0, compared = 0;
  for (const SettingSummary* s : alpha_settings(study)) {
    const std::array<Spread, 3>& a = s->alphas;
    const bool alphas_agree = std::abs(a[1].mean - 1.0) <= near && std::abs(a[2].mean - 1.0) <= near &&
                              a[0].mean >= claimed_alpha1_low && a[0].mean <= claimed_alpha1_high;
    const SettingSummary* relu = relu_baseline(study, s->setting);
    const double difference = relu ? 100 * (s->accuracy.mean - relu->accuracy.mean) : 0.0;
    const bool same_accuracy = relu && std::abs(difference) <= same_accuracy_points;
    ++count;
    compared += relu != nullptr;
    alpha_agree += alphas_agree;
    accuracy_agree += same_accuracy;
    table << "| " << lambda_text(*s->setting.lambda) << " | " << s->setting.epochs << " | " << group_of(s->setting)
          << " | " << format("%.2f / %.2f / %.2f", a[0].mean, a[1].mean, a[2].mean) << " | " << verdict(alphas_agree)
          << " | " << (relu ? points_text(difference) + " | " + verdict(same_accuracy) : "no ReLU run | ") << " |\n";
  }
  if (count == 0) return more_bullets + "\n";
  std::ostringstream md;
  md << "- α2, α3 → 1 and α1 in [" << claimed_alpha1_low << ", " << claimed_alpha1_high << "] for every λ: "
     << verdict(alpha_agree == count) << ", it holds in " << alpha_agree << " of " << count << " settings.\n"
     << "- ReLU_α as accurate as ReLU: " << verdict(accuracy_agree == compared) << ", within " << same_accuracy_points
     << " point in " << accuracy_agree << " of " << compared
     << " settings (those with a ReLU run of the same reduction and input scale).\n"
     << more_bullets;
  md << "\n| λ | epochs | setting | α1 / α2 / α3 | α claim | accuracy vs ReLU (points) | accuracy claim |\n"
        "|---:|---:|---|---|---|---:|---|\n"
     << table.str() << "\n";
  return md.str();
}

std::string linear_claim_markdown(const StudySummary& study) {
  std::ostringstream md;
  for (const auto& [relu, linear, gap] : baseline_pairs(study))
    md << "- linear " << claimed_linear_gap_points << " % less accurate than ReLU (" << group_of(relu->setting)
       << "): " << verdict(std::abs(gap - claimed_linear_gap_points) <= claimed_gap_tolerance_points)
       << ", the gap is " << format("%.2f points", gap) << " (agreement: within " << claimed_gap_tolerance_points
       << " points of " << claimed_linear_gap_points << ").\n";
  return md.str();
}

std::string claims_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "### The course report's claims\n\nThe report claims that for every λ α2 and α3 go to 1 and α1 settles in ["
     << claimed_alpha1_low << ", " << claimed_alpha1_high << "], that ReLU_α is as accurate as ReLU, and that "
     << "the linear net is " << claimed_linear_gap_points << " % less accurate than the ReLU net. Here α2, α3 "
     << "*go to 1* when within " << near << " of 1, *as accurate* means within " << same_accuracy_points
     << " point of the ReLU net's mean accuracy, and the linear gap is read in points of accuracy.\n\n";
  return md.str() + setting_claims_markdown(study, linear_claim_markdown(study));
}

}  // namespace

std::string findings_markdown(const StudySummary& study) {
  return "## Findings\n\nGenerated from the numbers above.\n\n" + alphas_markdown(study) + linear_markdown(study) +
         reductions_markdown(study) + claims_markdown(study);
}

}  // namespace linconv::cli
