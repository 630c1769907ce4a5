#pragma once
// A study's runs summarised by setting: test accuracy and final alphas, mean and standard
// deviation over the seeds; the ReLU baseline each setting is compared with; the findings
// section of the report, generated from these numbers.
#include <array>
#include <span>
#include <string>
#include <vector>

#include "runs.hpp"

namespace linconv::cli {

// Two settings are "as accurate" when their mean accuracies differ by at most this many points.
inline constexpr double same_accuracy_points = 1.0;

// Mean and sample standard deviation (n - 1; 0 for a single value).
struct Spread {
  double mean = 0.0, std = 0.0;
  int count = 0;
};
Spread spread(std::span<const double> values);

struct SettingSummary {
  Setting setting;
  std::vector<const Run*> runs;  // finished runs, one per seed, by seed
  Spread accuracy;               // final test accuracy
  std::array<Spread, 3> alphas;  // final alphas (alpha settings only)
};

// Study-wide facts the report states besides the settings.
struct StudySummary {
  // Each in report order: unit input, mean reduction and the baselines first.
  std::vector<SettingSummary> settings;       // of the report's network
  std::vector<SettingSummary> first_attempt;  // of its first attempt (--net fashion-bn-pool)
  std::vector<SettingSummary> controls;       // runs outside the protocol (ProtocolScope), by setting
  std::vector<std::string> left_out;          // one line each: unfinished or duplicate runs, and why
  int protocol_epochs = 0;  // the protocol's short runs' epochs (ProtocolScope::epochs; 0: unknown)
};

// The runs of the protocol, which the report's sections compare: Adam, the penalty as given,
// the protocol's initial alpha and input scales (a sweep's sweep.json says which; any input
// scale without one). The others are the sweep's controls.
struct ProtocolScope {
  double alpha_init = 0.5f;
  std::vector<std::string> input_scales;  // empty: any
  int epochs = 0;  // the short runs' --epochs (the long runs are longer); 0: not known

  bool covers(const Setting& s) const;
};

// Groups the finished runs by setting. `runs` must outlive the result.
StudySummary summarise(const std::vector<Run>& runs, const ProtocolScope& scope = {});

// The ReLU setting a setting is compared with: same network, reduction and input scale, the same
// number of epochs if there is one, else the longest. Null when the study has no such ReLU run.
const SettingSummary* relu_baseline(const StudySummary& study, const Setting& setting);
const SettingSummary* linear_baseline(const StudySummary& study, const Setting& setting);

// printf's `pattern` of up to three numbers, as a string: format("%.2f to %.2f", low, high).
// A number that rounds to zero loses its minus sign: format("%.3f", -1e-5) is "0.000".
std::string format(const char* pattern, double a, double b = 0.0, double c = 0.0);

// "89.93 ± 0.12" (percent) and "0.612 ± 0.034"; the ± part only with more than one seed.
std::string accuracy_text(const Spread& accuracy);
std::string alpha_text(const Spread& alpha);
// "0.5", "2": a lambda as people write it
std::string lambda_text(double lambda);
// "+1.23", "-0.50": a difference of accuracies in points (no "-0.00")
std::string points_text(double points);
// "1 seed", "3 settings": a count and its noun, plural but for one
std::string count_text(std::size_t count, const std::string& noun);
// "1 epoch", "3 epochs"
std::string epochs_text(int epochs);

// "In short" (paper.cpp): where each layer's alpha ends, by reduction, counted over the runs.
std::string summary_markdown(const StudySummary& study);
// The question the study asks (paper.cpp).
std::string question_markdown();
// The method (paper.cpp): the protocol as the runs present show it (lambdas, epochs, seeds,
// batch, learning rate), what the reductions and Adam do to the penalty, the statistics and
// rules, the controls and why each exists.
std::string method_markdown(const StudySummary& study);
// The findings under the results (where the alphas go seed by seed, linear against ReLU, mean
// against sum reduction), each a ### section computed from the summaries.
std::string findings_markdown(const StudySummary& study);
// The course report's claims, part by part, each judged on the runs with the rule stated.
std::string course_claims_markdown(const StudySummary& study);
// The controls of the study (controls.cpp), a section each, with its table and verdict; "not
// enough runs yet" where the study lacks the runs a control needs.
// `overview`: the Markdown of a figure that opens the section (or empty).
std::string controls_markdown(const StudySummary& study, const std::string& overview);
// The questions the data raise (controls.cpp): each asked only when the runs show what prompts it.
std::string open_questions_markdown(const StudySummary& study);
// The section on the first attempt (first_attempt.cpp); empty when the study has no such run.
std::string first_attempt_markdown(const StudySummary& study);

}  // namespace linconv::cli
