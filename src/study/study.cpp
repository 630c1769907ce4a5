#include "study.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

namespace linconv::cli {

Spread spread(std::span<const double> values) {
  Spread s;
  s.count = int(values.size());
  if (values.empty()) return s;
  for (double v : values) s.mean += v;
  s.mean /= double(values.size());
  if (values.size() > 1) {
    double squares = 0.0;
    for (double v : values) squares += (v - s.mean) * (v - s.mean);
    s.std = std::sqrt(squares / double(values.size() - 1));
  }
  return s;
}

namespace {

SettingSummary summary_of(const Setting& setting, std::vector<const Run*> runs) {
  SettingSummary s{setting, std::move(runs), {}, {}};
  std::vector<double> accuracy;
  std::array<std::vector<double>, 3> alphas;
  for (const Run* run : s.runs) {
    accuracy.push_back(run->test_acc());
    for (int k = 0; k < 3; ++k) alphas[k].push_back(run->final_alphas()[k]);
  }
  s.accuracy = spread(accuracy);
  if (setting.learns_alphas())
    for (int k = 0; k < 3; ++k) s.alphas[k] = spread(alphas[k]);
  return s;
}

const SettingSummary* baseline(const StudySummary& study, const Setting& setting, const std::string& activation) {
  const SettingSummary* best = nullptr;
  for (const SettingSummary& s : setting.net == report_net ? study.settings : study.first_attempt) {
    const Setting& b = s.setting;
    if (b.net != setting.net || b.activation != activation || b.reduction != setting.reduction ||
        b.input_scale != setting.input_scale)
      continue;
    if (!best || b.epochs == setting.epochs ||
        (best->setting.epochs != setting.epochs && b.epochs > best->setting.epochs))
      best = &s;
  }
  return best;
}

// Input scale, reduction, then the baselines before ReLU_alpha; lambda and epochs keep their order.
auto report_order(const Setting& s) {
  const int network = s.activation == "relu" ? 0 : s.activation == "linear" ? 1 : 2;
  return std::tuple(s.input_scale != "unit", s.reduction != "mean", network);
}

}  // namespace

bool ProtocolScope::covers(const Setting& s) const {
  return s.optimizer == "adam" && s.lambda_scale == "none" && (!s.alpha_init || *s.alpha_init == alpha_init) &&
         (input_scales.empty() || std::ranges::find(input_scales, s.input_scale) != input_scales.end());
}

StudySummary summarise(const std::vector<Run>& runs, const ProtocolScope& scope) {
  StudySummary study;
  study.protocol_epochs = scope.epochs;
  std::map<Setting, std::vector<const Run*>> by_setting;
  for (const Run& run : runs) {
    const std::string name = run.dir.filename().string();
    if (!run.finished) {
      study.left_out.push_back(name + ": unfinished (" + std::to_string(run.epochs.size()) + " of " +
                               std::to_string(run.setting.epochs) + " epochs)");
      continue;
    }
    std::vector<const Run*>& same = by_setting[run.setting];
    if (!same.empty() && same.back()->seed == run.seed) {
      study.left_out.push_back(name + ": the same setting and seed as " + same.back()->dir.filename().string());
      continue;
    }
    same.push_back(&run);
  }
  for (auto& [setting, list] : by_setting) {
    if (!scope.covers(setting)) {
      study.controls.push_back(summary_of(setting, std::move(list)));
    } else if (setting.net == report_net) {
      study.settings.push_back(summary_of(setting, std::move(list)));
    } else if (setting.net == first_attempt_net) {
      study.first_attempt.push_back(summary_of(setting, std::move(list)));
    } else {
      for (const Run* run : list)
        study.left_out.push_back(run->dir.filename().string() + ": --net " + setting.net +
                                 " is not a network of the report");
    }
  }
  for (std::vector<SettingSummary>* settings : {&study.settings, &study.first_attempt})
    std::ranges::stable_sort(*settings, {}, [](const SettingSummary& s) { return report_order(s.setting); });
  return study;
}

const SettingSummary* relu_baseline(const StudySummary& study, const Setting& setting) {
  return baseline(study, setting, "relu");
}
const SettingSummary* linear_baseline(const StudySummary& study, const Setting& setting) {
  return baseline(study, setting, "linear");
}

std::string format(const char* pattern, double a, double b, double c) {
  char text[96];
  std::snprintf(text, sizeof text, pattern, a, b, c);
  // A value that rounds to zero is printed without its sign: -1e-5 as "0.000", not "-0.000".
  std::string s = text;
  for (std::size_t i = 0; (i = s.find('-', i)) != std::string::npos;) {
    std::size_t end = i + 1;
    while (end < s.size() && (s[end] == '0' || s[end] == '.')) ++end;
    const bool zero = end > i + 1 && (end == s.size() || !std::isdigit(static_cast<unsigned char>(s[end])));
    if (zero) s.erase(i, 1);
    else ++i;
  }
  return s;
}

std::string accuracy_text(const Spread& a) {
  return a.count > 1 ? format("%.2f ± %.2f", 100 * a.mean, 100 * a.std) : format("%.2f", 100 * a.mean);
}
std::string alpha_text(const Spread& a) {
  return a.count > 1 ? format("%.3f ± %.3f", a.mean, a.std) : format("%.3f", a.mean);
}
std::string lambda_text(double lambda) { return format("%g", lambda); }
std::string points_text(double points) { return format("%+.2f", std::abs(points) < 0.005 ? 0.0 : points); }
std::string count_text(std::size_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}
std::string epochs_text(int epochs) { return count_text(std::size_t(epochs), "epoch"); }

}  // namespace linconv::cli
