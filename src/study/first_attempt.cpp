// The report's section on the course report's first attempt (--net fashion-bn-pool). Its section
// 3 tried batch norm and a max pool at every layer first, and discarded that network because "no
// performance differences resulted between considering the fully ReLU activation function and
// completely removing it from the layers. This is due to the non-linearity effects of batch norm
// and max pooling". For each reduction and input scale the section gives the first attempt's
// accuracy and alphas, the ReLU - linear gap seed by seed, whether the claim holds (the gap within
// same_accuracy_points) and the same gap on the report's network.
#include <cmath>
#include <map>
#include <sstream>
#include <tuple>

#include "study.hpp"

namespace linconv::cli {
namespace {

// ReLU minus linear test accuracy in points, for each seed that ran both.
Spread gap_of(const SettingSummary& relu, const SettingSummary& linear) {
  std::vector<double> gaps;
  for (const Run* r : relu.runs)
    for (const Run* l : linear.runs)
      if (r->seed == l->seed) gaps.push_back(100 * (r->test_acc() - l->test_acc()));
  return spread(gaps);
}

// "6.49 ± 0.40 points (3 seeds)"
std::string gap_text(const Spread& gap) {
  return (gap.count > 1 ? format("%.2f ± %.2f points", gap.mean, gap.std) : format("%.2f points", gap.mean)) +
         " (" + count_text(gap.count, "seed") + ")";
}

std::string alpha_cell(const SettingSummary& s, int k) {
  if (s.setting.learns_alphas()) return alpha_text(s.alphas[k]);
  return s.setting.activation == "relu" ? "1 (fixed)" : "0 (fixed)";
}

std::string table_markdown(const std::vector<const SettingSummary*>& group, const StudySummary& study) {
  std::ostringstream md;
  md << "| activation | λ | epochs | seeds | test accuracy (%) | vs ReLU (points) | α1 | α2 | α3 |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const SettingSummary* s : group) {
    const Setting& g = s->setting;
    const SettingSummary* relu = relu_baseline(study, g);
    md << "| " << g.activation << " | " << (g.lambda ? lambda_text(*g.lambda) : "") << " | " << g.epochs << " | "
       << s->runs.size() << " | " << accuracy_text(s->accuracy) << " | "
       << (relu && relu != s ? points_text(100 * (s->accuracy.mean - relu->accuracy.mean)) : "") << " |";
    for (int k = 0; k < 3; ++k) md << ' ' << alpha_cell(*s, k) << " |";
    md << '\n';
  }
  return md.str();
}

// The claim tested on the ReLU setting `relu` of the first attempt, against the same gap on the
// report's network.
std::string verdict_markdown(const SettingSummary& relu, const StudySummary& study) {
  const SettingSummary* linear = linear_baseline(study, relu.setting);
  if (!linear) return "No linear run to compare ReLU with: the claim cannot be tested here.\n\n";
  const Spread gap = gap_of(relu, *linear);
  if (gap.count == 0) return "No seed ran both ReLU and linear: the claim cannot be tested here.\n\n";
  Setting report_setting = relu.setting;
  report_setting.net = report_net;
  const SettingSummary* report_relu = relu_baseline(study, report_setting);
  const SettingSummary* report_linear = report_relu ? linear_baseline(study, report_relu->setting) : nullptr;
  const Spread report_gap = report_linear ? gap_of(*report_relu, *report_linear) : Spread{};
  if (report_gap.count == 0) report_linear = nullptr;
  const std::string against = report_linear ? ", against " + gap_text(report_gap) + " on the report's network (" +
                                                  epochs_text(report_relu->setting.epochs) + ")"
                                            : ", and the study has no ReLU and linear runs of the report's network "
                                              "to compare it with";
  const bool holds = std::abs(gap.mean) <= same_accuracy_points;
  std::ostringstream md;
  md << (holds ? "**The claim holds**" : "**The claim does not hold**") << " (" << epochs_text(relu.setting.epochs)
     << "): the ReLU - linear gap is " << gap_text(gap) << (holds ? ", within " : ", not within ")
     << same_accuracy_points << " point" << against << ".";
  if (report_linear)
    md << " Without activations the first attempt reaches " << accuracy_text(linear->accuracy)
       << " %, the report's linear network " << accuracy_text(report_linear->accuracy) << " %.";
  md << "\n\n";
  return md.str();
}

}  // namespace

std::string first_attempt_markdown(const StudySummary& study) {
  if (study.first_attempt.empty()) return "";
  std::ostringstream md;
  md << "## The first attempt: batch norm and max pooling\n\n"
        "The course report (section 3) first tried its network with batch norm and a max pool at every layer "
        "(`--net fashion-bn-pool`: conv, batch norm, activation and a 2x2 max pool, three times, then fc1 "
        "288 → 10) and discarded it: \"no performance differences resulted between considering the fully ReLU "
        "activation function and completely removing it from the layers. This is due to the non-linearity "
        "effects of batch norm and max pooling\". Without activations that network is indeed not linear: a max "
        "pool takes maxima, and batch norm divides by statistics of the batch while training (at test time, "
        "with its running statistics, it is affine). Here the claim *holds* when the mean test accuracies of "
        "ReLU and linear differ by at most "
     << same_accuracy_points
     << " point; the gap is ReLU minus linear in points, taken for each seed that ran both, as mean ± sample "
        "standard deviation over those seeds.\n\n";
  std::map<std::tuple<bool, bool>, std::vector<const SettingSummary*>> groups;  // unit, mean first
  for (const SettingSummary& s : study.first_attempt)
    groups[{s.setting.input_scale != "unit", s.setting.reduction != "mean"}].push_back(&s);
  for (const auto& [key, group] : groups) {
    const Setting& first = group.front()->setting;
    md << "### " << first.reduction << " reduction, " << first.input_scale << " input\n\n"
       << table_markdown(group, study) << "\n";
    bool tested = false;
    for (const SettingSummary* s : group)
      if (s->setting.activation == "relu") {
        md << verdict_markdown(*s, study);
        tested = true;
      }
    if (!tested) md << "No ReLU run: the claim cannot be tested here.\n\n";
  }
  return md.str();
}

}  // namespace linconv::cli
