// `linconv report DIR`: report.md and its figures from the runs of a study (report.hpp).
#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <optional>
#include <span>
#include <sstream>
#include <tuple>

#include "commands.hpp"
#include "common.hpp"
#include "feature_maps.hpp"
#include "fold_table.hpp"
#include "judgements.hpp"
#include "linconv/atomic_file.hpp"
#include "plot.hpp"
#include "study.hpp"

namespace linconv::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::array<const char*, 3> alpha_colors{"#1f77b4", "#d62728", "#2ca02c"};  // blue, red, green

// "alpha-l0.5-e3-mean-unit", "bnpool-relu-e3-mean-unit": a setting in file names.
std::string stem_of(const Setting& s) {
  return net_prefix(s.net) + s.activation + (s.lambda ? "-l" + lambda_text(*s.lambda) : "") + "-e" +
         std::to_string(s.epochs) + "-" + s.reduction + "-" + s.input_scale;
}

std::string network_of(const Setting& s) {
  const std::string activation = s.activation == "relu"     ? "ReLU"
                                 : s.activation == "linear"  ? "linear"
                                 : s.activation == "channel" ? "ReLU_α per channel"
                                                             : "ReLU_α";
  return s.net == report_net ? activation : s.net + ", " + activation;
}

// A setting in figure titles (gnuplot's enhanced text: ReLU_α has α as subscript).
std::string title_of(const SettingSummary& s) {
  const Setting& g = s.setting;
  return network_of(g) + (g.lambda ? ", λ = " + lambda_text(*g.lambda) : "") + ", " + epochs_text(g.epochs) +
         ", " + g.reduction + " reduction, " + g.input_scale + " input (" +
         count_text(s.runs.size(), "seed") + ")";
}

// The course report's figures of a setting, where it has them (it did not say its reduction).
std::string course_figures_of(const Setting& s) {
  if (s.net != report_net || s.activation == "channel") return "";
  if (s.activation == "relu") return "Fig. 1";
  if (s.activation == "linear") return "Fig. 2";
  static const std::map<std::pair<double, int>, std::string> shown{
      {{0.1f, 3}, "Fig. 3-4"}, {{0.5f, 3}, "Fig. 5-6"},   {{0.7f, 3}, "Fig. 7-8"},
      {{2.0f, 3}, "Fig. 9-10"}, {{0.5f, 12}, "Fig. 11-12"}, {{0.7f, 12}, "Fig. 13-14"}};
  const auto it = shown.find({*s.lambda, s.epochs});
  return it == shown.end() ? "" : it->second;
}

// The curves of a setting's figures, over its seeds: x in epochs (a step is 1 / steps per epoch
// of one), the mean over the seeds at each step with the band from their minimum to their
// maximum, and each seed as a thin line.
constexpr double seed_line_width = 0.6, mean_line_width = 2.2;
// Per-step losses vary from batch to batch: they are drawn as moving averages over this many steps.
constexpr int loss_window = 20;

double steps_per_epoch(const Run& run) { return double(run.epochs.front().last_step); }

// What the figures draw of a setting's seeds at one x: their mean, and the band from the lowest
// to the highest.
struct SeedRange {
  double mean = 0.0, low = INFINITY, high = -INFINITY;
};
SeedRange seed_range(std::span<const double> values) {
  SeedRange r;
  for (double v : values) {
    r.mean += v;
    r.low = std::min(r.low, v);
    r.high = std::max(r.high, v);
  }
  r.mean /= double(values.size());
  return r;
}

// value(run, i) for step i of every run: the runs' common steps.
template <class Value>
std::pair<Curve, std::vector<Curve>> over_seeds(const SettingSummary& s, const std::string& title, const std::string& color,
                                                Value value, int dash = 1) {
  std::size_t steps = s.runs.front()->steps.size();
  for (const Run* run : s.runs) steps = std::min(steps, run->steps.size());
  Curve mean{title, color, Style::line, {}, dash, mean_line_width, {}};
  std::vector<Curve> seeds;
  for (std::size_t r = 0; r < s.runs.size(); ++r)
    seeds.push_back(Curve{"", color, Style::line, {}, dash, seed_line_width, {}});
  std::vector<double> values(s.runs.size());
  for (std::size_t i = 0; i < steps; ++i) {
    const double x = double(s.runs.front()->steps[i].step) / steps_per_epoch(*s.runs.front());
    for (std::size_t r = 0; r < s.runs.size(); ++r) {
      values[r] = value(*s.runs[r], i);
      seeds[r].xy.emplace_back(x, values[r]);
    }
    const SeedRange range = seed_range(values);
    mean.xy.emplace_back(x, range.mean);
    mean.band.emplace_back(range.low, range.high);
  }
  if (s.runs.size() == 1) {  // one seed: its line is the mean, without a band
    mean.band.clear();
    seeds.clear();
  }
  return {std::move(mean), std::move(seeds)};
}

// The mean of f over steps [i - window + 1, i] of a run (fewer at its start).
template <class F>
double moving_average(const Run& run, std::size_t i, F f) {
  const std::size_t first = i + 1 >= loss_window ? i + 1 - loss_window : 0;
  double sum = 0.0;
  for (std::size_t k = first; k <= i; ++k) sum += f(run.steps[k]);
  return sum / double(i + 1 - first);
}

void add_curves(Panel& panel, std::pair<Curve, std::vector<Curve>> curves) {
  for (Curve& seed : curves.second) panel.curves.push_back(std::move(seed));
  panel.curves.push_back(std::move(curves.first));
}

// The test accuracy after each epoch: mean over the seeds (band: min to max), each seed's point.
void add_accuracy(Panel& panel, const SettingSummary& s, const std::string& title, const std::string& color, int dash) {
  std::size_t epochs = s.runs.front()->epochs.size();
  for (const Run* run : s.runs) epochs = std::min(epochs, run->epochs.size());
  Curve mean{title, color, Style::line_points, {}, dash, mean_line_width, {}};
  Curve seeds{"", color, Style::points, {}, 1, 1.0, {}};
  std::vector<double> values(s.runs.size());
  for (std::size_t e = 0; e < epochs; ++e) {
    for (std::size_t r = 0; r < s.runs.size(); ++r) {
      values[r] = 100.0 * s.runs[r]->epochs[e].test_acc;
      seeds.xy.emplace_back(double(e + 1), values[r]);
    }
    const SeedRange range = seed_range(values);
    mean.xy.emplace_back(double(e + 1), range.mean);
    mean.band.emplace_back(range.low, range.high);
  }
  if (s.runs.size() > 1) panel.curves.push_back(std::move(seeds));
  else mean.band.clear();
  panel.curves.push_back(std::move(mean));
}

// The range of every per-epoch test accuracy (percent) of a study's settings, with a margin: one
// scale for every accuracy panel of the report, so that the panels compare at a glance.
std::pair<double, double> accuracy_range(const std::vector<SettingSummary>& settings) {
  double low = 100.0, high = 0.0;
  for (const SettingSummary& s : settings)
    for (const Run* run : s.runs)
      for (const EpochRow& e : run->epochs) {
        low = std::min(low, 100.0 * e.test_acc);
        high = std::max(high, 100.0 * e.test_acc);
      }
  return {std::floor(low - 0.5), std::ceil(high + 0.5)};
}

// Cross-entropy per image and penalty (separate: the penalty is the part lambda controls) and
// test accuracy against the ReLU and linear baselines.
// `accuracy_axis`: the accuracy panels' shared scale (accuracy_range).
Figure loss_accuracy_figure(const StudySummary& study, const SettingSummary& s,
                            std::pair<double, double> accuracy_axis) {
  const int x_epochs = s.setting.epochs;
  const auto epochs_axis = std::pair(0.0, double(x_epochs));
  const bool summed = s.setting.reduction == "sum";
  Panel ce{"cross-entropy per image (moving average, " + std::to_string(loss_window) + " steps)", "epoch",
           "cross-entropy", "top right", {}, epochs_axis};
  add_curves(ce, over_seeds(s, "mean over seeds", "#1f77b4", [&](const Run& run, std::size_t i) {
               return moving_average(run, i, [&](const StepRow& row) { return summed ? row.ce / run.batch : row.ce; });
             }));
  std::vector<Panel> panels{ce};
  if (s.setting.learns_alphas()) {
    Panel penalty{"penalty λ Σ|α| (moving average, " + std::to_string(loss_window) + " steps)", "epoch", "penalty",
                  "top right", {}, epochs_axis};
    add_curves(penalty, over_seeds(s, "mean over seeds", "#9467bd", [](const Run& run, std::size_t i) {
                 return moving_average(run, i, [](const StepRow& row) { return row.penalty; });
               }));
    panels.push_back(penalty);
  }
  Panel accuracy{"test accuracy after each epoch", "epoch", "test accuracy (%)", "top left", {},
                 std::pair(0.5, double(x_epochs) + 0.5), accuracy_axis};
  const SettingSummary* relu = relu_baseline(study, s.setting);
  const SettingSummary* linear = linear_baseline(study, s.setting);
  if (relu && relu != &s) add_accuracy(accuracy, *relu, "ReLU (" + epochs_text(relu->setting.epochs) + ")", "#555555", 2);
  if (linear && linear != &s)
    add_accuracy(accuracy, *linear, "linear (" + epochs_text(linear->setting.epochs) + ")", "#aaaaaa", 4);
  add_accuracy(accuracy, s, "this setting", "#d62728", 1);
  panels.push_back(accuracy);
  return {stem_of(s.setting) + "-loss", title_of(s), panels};
}

// Each alpha over training: a colour per layer, the mean over seeds thick with its band, each
// seed thin, in the layer's colour and dash.
Figure alpha_figure(const SettingSummary& s) {
  const std::string title = s.setting.activation == "channel" ? "each layer's mean α" : "α_1, α_2, α_3";
  Panel alphas{title + " (thick: mean over seeds, band: their range, thin: each seed)", "epoch", "α",
               "outside right top", {}, std::pair(0.0, double(s.setting.epochs))};
  double low = -0.05, high = 1.05;
  for (int k = 0; k < 3; ++k) {
    add_curves(alphas, over_seeds(s, "α_" + std::to_string(k + 1), alpha_colors[k],
                                  [k](const Run& run, std::size_t i) { return run.steps[i].alphas[k]; }, k + 1));
    for (const Run* run : s.runs)
      for (const StepRow& row : run->steps) {
        low = std::min(low, row.alphas[k] - 0.05);
        high = std::max(high, row.alphas[k] + 0.05);
      }
  }
  alphas.yrange = std::pair(low, high);
  return {stem_of(s.setting) + "-alphas", title_of(s), {alphas}};
}

std::string image_markdown(const std::string& stem, const std::string& caption) {
  return "![" + caption + "](figures/" + stem + ".png)\n\n*" + caption + "*\n\n";
}

// A panel of final alpha against lambda: its title and the settings it draws.
struct OverviewPanel {
  std::string title;
  std::function<bool(const Setting&)> draws;
};

// Final alphas against lambda, a panel each (each layer: the mean over seeds with markers, the
// band from the lowest to the highest seed, each seed a dot); none when no panel has a setting.
std::optional<Figure> alpha_overview_figure(const std::vector<const SettingSummary*>& settings,
                                            const std::vector<OverviewPanel>& panel_specs, const std::string& name,
                                            const std::string& title) {
  std::vector<Panel> panels;
  for (const OverviewPanel& spec : panel_specs) {
    Panel panel{spec.title, "λ (log scale)", "final α", "outside right top", {}, {}, {}, true};
    double low = -0.05, high = 1.05;
    for (int k = 0; k < 3; ++k) {
      Curve mean{"α_" + std::to_string(k + 1), alpha_colors[k], Style::line_points, {}, k + 1, mean_line_width, {}};
      Curve seeds{"", alpha_colors[k], Style::points, {}, 1, 1.0, {}};
      for (const SettingSummary* summary : settings) {
        const SettingSummary& s = *summary;
        const Setting& g = s.setting;
        if (g.activation != "alpha" || !spec.draws(g)) continue;
        std::vector<double> finals;
        for (const Run* run : s.runs) {
          finals.push_back(run->final_alphas()[k]);
          seeds.xy.emplace_back(*g.lambda, finals.back());
        }
        const SeedRange range = seed_range(finals);
        mean.xy.emplace_back(*g.lambda, s.alphas[k].mean);
        mean.band.emplace_back(range.low, range.high);
        low = std::min(low, range.low - 0.05);
        high = std::max(high, range.high + 0.05);
      }
      if (mean.xy.empty()) continue;
      panel.curves.push_back(std::move(seeds));
      panel.curves.push_back(std::move(mean));
    }
    panel.yrange = std::pair(low, high);
    if (panel.curves.empty()) continue;
    std::set<double> lambdas;  // a tick at each lambda run: a log axis over less than a decade has none
    for (const Curve& c : panel.curves)
      for (const auto& point : c.xy) lambdas.insert(point.first);
    panel.xtics.assign(lambdas.begin(), lambdas.end());
    panel.xrange = std::pair(*lambdas.begin() / 1.3, *lambdas.rbegin() * 1.3);  // room for the end markers
    panels.push_back(std::move(panel));
  }
  if (panels.empty()) return std::nullopt;
  return Figure{name, title + " (dots: each seed; band: their range)", panels};
}

// The study's question in one figure: the final alphas against lambda after `epochs` epochs,
// one panel per reduction, unit input.
std::optional<Figure> alpha_overview_figure(const std::vector<SettingSummary>& settings, int epochs) {
  std::vector<const SettingSummary*> list;
  for (const SettingSummary& s : settings) list.push_back(&s);
  std::vector<OverviewPanel> panels;
  for (const std::string reduction : {"mean", "sum"})
    panels.push_back({reduction + " reduction", [reduction, epochs](const Setting& g) {
                        return g.reduction == reduction && g.epochs == epochs && g.input_scale == "unit";
                      }});
  return alpha_overview_figure(list, panels, "alpha-vs-lambda-e" + std::to_string(epochs),
                               "Final α against λ after " + epochs_text(epochs));
}

// The mechanism the controls test, in one figure: final alphas against lambda after `epochs`
// epochs under mean reduction, under sum reduction with the penalty scaled by the batch, and
// under mean reduction with SGD; drawn when the study has the scaled or the SGD runs.
std::string controls_overview_markdown(const StudySummary& study, const fs::path& figures) {
  const std::vector<const SettingSummary*> list = report_settings(study);
  int epochs = 0;  // the scaled and SGD runs' (the protocol's short runs')
  for (const SettingSummary* s : list)
    if (s->setting.lambda_scale != "none" || s->setting.optimizer != "adam") epochs = s->setting.epochs;
  if (epochs == 0) return "";
  auto unit = [epochs, init = protocol_alpha_init(study)](const Setting& g) {
    return g.epochs == epochs && g.input_scale == "unit" && g.alpha_init == init;
  };
  const std::vector<OverviewPanel> panels{
      {"mean reduction, Adam",
       [unit](const Setting& g) {
         return unit(g) && g.reduction == "mean" && g.optimizer == "adam" && g.lambda_scale == "none";
       }},
      {"sum reduction, penalty × batch, Adam",
       [unit](const Setting& g) {
         return unit(g) && g.reduction == "sum" && g.optimizer == "adam" && g.lambda_scale != "none";
       }},
      {"mean reduction, SGD",
       [unit](const Setting& g) { return unit(g) && g.reduction == "mean" && g.optimizer == "sgd"; }}};
  const std::optional<Figure> figure =
      alpha_overview_figure(list, panels, "controls-alpha-vs-lambda-e" + std::to_string(epochs),
                            "Final α against λ after " + epochs_text(epochs) + ", the penalty scaled and SGD");
  if (!figure) return "";
  draw_figure(*figure, figures);
  return image_markdown(figure->name, "The controls of the mechanism: final α against λ after " +
                                          epochs_text(epochs) + " under mean reduction (Adam), sum reduction with "
                                          "the penalty times the batch (Adam), and mean reduction with SGD");
}

std::string header_markdown(const std::vector<Run>& runs, const StudySummary& study) {
  std::size_t finished = 0;
  std::set<long> limits;
  bool whole_set = false;
  for (const std::vector<SettingSummary>* settings : {&study.settings, &study.controls, &study.first_attempt})
    for (const SettingSummary& s : *settings)
      for (const Run* run : s.runs) {
        ++finished;
        if (run->limit) limits.insert(*run->limit);
        else whole_set = true;
      }
  std::ostringstream md;
  md << "# How much non-linearity does a CNN keep when it pays for it? A ReLU_α study on FashionMNIST\n\n"
     << "Generated by `linconv report` from the " << count_text(finished, "finished run") << " of a study ("
     << count_text(study.settings.size() + study.controls.size() + study.first_attempt.size(), "setting") << "; "
     << runs.size() - finished << " left out): every number and verdict below is computed from those runs, "
     << "one folder each in [`runs/`](runs) (their logs: `config.json`, `metrics.csv`, `epochs.csv`). Test accuracy "
        "is the "
     << "accuracy on the test set after the last epoch, in percent; each cell gives the mean ± the sample standard "
     << "deviation over the seeds of a setting (the mean alone for one seed). Training images: ";
  if (whole_set) md << "the whole training set" << (limits.empty() ? "" : "; ");
  if (!limits.empty()) {
    md << "the first";
    for (long limit : limits) md << (limit == *limits.begin() ? " " : " or ") << limit;
    md << " (`--limit`)";
  }
  md << ".\n\n";
  return md.str();
}

// The figures of final alpha against lambda, one for each number of epochs: the answer to the
// study's question, drawn into `figures`.
std::string overview_markdown(const StudySummary& study, const fs::path& figures) {
  std::ostringstream md;
  std::set<int> alpha_epochs;
  for (const SettingSummary& s : study.settings)
    if (s.setting.activation == "alpha") alpha_epochs.insert(s.setting.epochs);
  for (int epochs : alpha_epochs)
    if (const std::optional<Figure> overview = alpha_overview_figure(study.settings, epochs)) {
      draw_figure(*overview, figures);
      md << image_markdown(overview->name, "How much non-linearity training keeps: each layer's final α against λ, "
                                           "after " + epochs_text(epochs) + ", for each reduction");
    }
  return md.str();
}

// "[78.52, 83.48]": the 95 % interval of a setting's mean test accuracy in percent; "one seed".
std::string accuracy_interval_text(const SettingSummary& s) {
  const std::optional<Interval> interval = mean_interval(accuracy_points(s));
  return interval ? format("[%.2f, %.2f]", interval->low, interval->high) : "one seed";
}

// "-11.1 %": a difference of mean accuracies relative to the baseline's mean accuracy.
std::string relative_text(double difference, double baseline) {
  const double percent = 100 * difference / baseline;
  return format("%+.1f %%", std::abs(percent) < 0.05 ? 0.0 : percent);
}

// The results: the overview figures, the table of every setting, then the findings.
std::string results_markdown(const StudySummary& study, const fs::path& figures) {
  std::ostringstream md;
  md << "## Results\n\n" << overview_markdown(study, figures)
     << "### Every setting\n\n| activation | λ | epochs | reduction | input | seeds | test accuracy (%) | 95 % interval "
        "| vs ReLU (points) | relative | α1 | α2 | α3 |\n|---|---:|---:|---|---|---:|---:|---:|---|---:|---:|---:|---:|\n";
  for (const SettingSummary& s : study.settings) {
    const Setting& g = s.setting;
    const SettingSummary* relu = relu_baseline(study, g);
    const bool compared = relu && relu != &s;
    md << "| " << g.activation << " | " << (g.lambda ? lambda_text(*g.lambda) : "") << " | " << g.epochs << " | "
       << g.reduction << " | " << g.input_scale << " | " << s.runs.size() << " | " << accuracy_text(s.accuracy)
       << " | " << accuracy_interval_text(s) << " | " << (compared ? difference_text(s, *relu) : "") << " | "
       << (compared ? relative_text(s.accuracy.mean - relu->accuracy.mean, relu->accuracy.mean) : "") << " |";
    for (int k = 0; k < 3; ++k)
      md << ' ' << (g.learns_alphas() ? alpha_text(s.alphas[k]) : g.activation == "relu" ? "1 (fixed)" : "0 (fixed)")
         << " |";
    md << '\n';
  }
  md << "\nTest accuracy: mean ± sample standard deviation over the seeds, and the 95 % interval of the mean "
        "(Student's t). \"vs ReLU\": the difference of the mean accuracy to the ReLU net of the same reduction and "
        "input scale (of the same number of epochs where there is one), with the 95 % interval and p-value of "
        "Welch's test over the seeds; \"relative\": that difference as a share of the ReLU net's accuracy.\n\n"
     << findings_markdown(study);
  return md.str();
}

// Draws the figures of every setting; returns their section.
std::string figures_markdown(const StudySummary& study, const fs::path& figures) {
  std::ostringstream md;
  md << "## Loss, accuracy and alphas over training\n\nThe course report's Fig. 1-14, for every setting: the mean over the seeds (thick), the range from the lowest "
        "to the highest seed (band) and each seed (thin lines, dots). The cross-entropy is per image whatever the "
        "reduction (the summed one divided by the batch size); the penalty is λ Σ|α| as the loss adds it. Every "
        "accuracy panel has the same scale, with the ReLU and linear baselines of the same reduction and input "
        "scale drawn dashed. Curves of more than "
     << max_points_per_curve << " steps are drawn at every k-th step. Beside each PNG, `linconv report` writes "
        "the figure as SVG and its data and gnuplot script in `figures/data/` (a committed study leaves them out: "
        "the report draws them again from the runs).\n\n";
  auto draw = [&](const SettingSummary& s, std::pair<double, double> accuracy_axis) {
    const std::string course = course_figures_of(s.setting);
    md << "### " << s.setting.describe() << (course.empty() ? "" : " (the report's " + course + ")") << "\n\n";
    const Figure loss = loss_accuracy_figure(study, s, accuracy_axis);
    draw_figure(loss, figures);
    md << image_markdown(loss.name, "Cross-entropy" + std::string(s.setting.learns_alphas() ? ", penalty" : "") +
                                        " and test accuracy: " + s.setting.describe());
    if (s.setting.learns_alphas()) {
      const Figure alphas = alpha_figure(s);
      draw_figure(alphas, figures);
      md << image_markdown(alphas.name, "α1 (blue, solid), α2 (red, dashed), α3 (green, dotted): " + s.setting.describe());
    }
  };
  // The course report's network first, then its first attempt, each on its own accuracy scale.
  for (const std::vector<SettingSummary>* settings : {&study.settings, &study.first_attempt}) {
    const std::pair<double, double> accuracy_axis = accuracy_range(*settings);
    for (const SettingSummary& s : *settings) draw(s, accuracy_axis);
  }
  return md.str();
}

// The run whose model the feature maps show: the longest, then sum reduction, unit input and
// the first seed first. Sum first because with the mean reduction the penalty drives every
// alpha to 0, and the ReLU_alpha net would only show the linear net's maps again.
const Run* feature_run(const StudySummary& study, const std::string& activation, std::optional<double> lambda) {
  const Run* best = nullptr;
  auto rank = [](const Run& r) {
    return std::tuple(-r.setting.epochs, r.setting.reduction != "sum", r.setting.input_scale != "unit", r.seed);
  };
  for (const SettingSummary& s : study.settings)
    for (const Run* run : s.runs)
      if (s.setting.activation == activation && s.setting.lambda == lambda && (!best || rank(*run) < rank(*best)))
        best = run;
  return best;
}

struct FeatureModel {
  std::string label, file_name;
  const Run* run;
};

// A model that can be drawn: its checkpoint and the test set it was trained with.
struct LoadedModel {
  const FeatureModel* model;
  CheckpointInfo checkpoint;
  const Dataset* test;
};

struct FeatureImage {
  int label;
  const char* name;
};

// The first image of `label` in the set; throws when there is none.
int first_image_of(const Dataset& data, int label) {
  const auto it = std::find(data.labels.begin(), data.labels.end(), std::uint8_t(label));
  if (it == data.labels.end())
    throw Error("the test set has no image of class " + std::to_string(label) + " (" +
                std::string(class_name(label)) + ")");
  return int(it - data.labels.begin());
}

// One figure of the report, drawn into figures/; returns its Markdown. The run is named, not
// linked: runs/ is not part of a committed study.
std::string feature_figure(const LoadedModel& loaded, const FeatureImage& image, int number, const fs::path& figures) {
  const Run& run = *loaded.model->run;
  const int index = first_image_of(*loaded.test, image.label);
  const FeatureMaps maps = feature_maps(loaded.checkpoint, loaded.test->images, index);
  const std::string stem = "features-" + loaded.model->file_name + "-" + image.name;
  const std::string truth(class_name(image.label)), predicted(class_name(maps.predicted));
  const std::string run_name = run.dir.filename().string();
  draw_feature_maps(maps,
                    loaded.model->label + " (" + run.setting.reduction + " reduction, " +
                        epochs_text(run.setting.epochs) + ", seed " + std::to_string(run.seed) + "): " + truth +
                        " (test image " + std::to_string(index) + "), predicted " + predicted,
                    figures, stem + ".png");
  std::ostringstream md;
  md << "![" << loaded.model->label << ", " << truth << "](figures/" << stem << ".png)\n\n*Fig. " << number << ": "
     << truth << " (test image " << index << ") through the " << loaded.model->label << " (" << run.setting.describe()
     << ", seed " << run.seed << ", run " << run_name << "): predicted **" << predicted << "**"
     << (maps.predicted == image.label ? "" : " (wrong)") << ".*\n\n";
  return md.str();
}

std::string feature_maps_markdown(const NetworkList& networks, const StudySummary& study, const fs::path& figures,
                                  TestSets& test_sets) {
  const std::vector<FeatureModel> models{{"ReLU net", "relu", feature_run(study, "relu", std::nullopt)},
                                         {"linear net", "linear", feature_run(study, "linear", std::nullopt)},
                                         {"ReLU_α net, λ = 0.5", "alpha", feature_run(study, "alpha", 0.5f)}};
  std::ostringstream md;
  md << "## Feature maps\n\nThe course report's Fig. 15-23: the first ankle boot, shirt and trouser of the test set "
        "through the three conv + activation layers, one row per layer, one tile per channel: the input in grey, "
        "each activation layer on one colour scale shared by its channels and symmetric about 0 (blue negative, "
        "white 0, red positive, up to the 99th percentile of the layer's |values|, larger ones in the end colours; "
        "the colour bar at the end of its row), so that sign and magnitude compare across the channels of a "
        "layer. Each row says its activation and the alpha the model learnt.\n\n";
  std::vector<LoadedModel> loaded;
  std::string skipped;
  for (const FeatureModel& model : models) {
    if (!model.run || !fs::exists(model.run->dir / "model.safetensors")) {
      skipped += "- " + model.label + ": skipped, " +
                 (model.run ? "no model.safetensors in runs/" + model.run->dir.filename().string() : "no finished run") +
                 ".\n";
      continue;
    }
    const Dataset& test = test_sets.of(*model.run);
    loaded.push_back({&model, read_checkpoint_info(networks, model.run->dir / "model.safetensors", "", ""), &test});
  }
  int number = 15;
  for (const FeatureImage& image : {FeatureImage{9, "boot"}, FeatureImage{6, "shirt"}, FeatureImage{1, "trousers"}}) {
    md << "### " << class_name(image.label) << "\n\n";
    for (const FeatureModel& model : models) {
      const auto it = std::ranges::find(loaded, &model, &LoadedModel::model);
      if (it != loaded.end()) md << feature_figure(*it, image, number, figures);
      ++number;
    }
  }
  if (!skipped.empty()) md << "Not drawn:\n\n" << skipped << "\n";
  return md.str();
}

// The runs that no section reports on. The controls' runs (StudySummary::controls) are in their
// sections.
std::string left_out_markdown(const StudySummary& study) {
  if (study.left_out.empty()) return "";
  std::string md = "## Runs left out\n\n";
  for (const std::string& line : study.left_out) md += "- " + line + "\n";
  return md + "\n";
}

// What the sections cover: the protocol of DIR/sweep.json, or every run of Adam, an unscaled
// penalty and alpha init 0.5 in a study made without a sweep.
ProtocolScope scope_of(const fs::path& dir) {
  ProtocolScope scope;
  const fs::path file = dir / "sweep.json";
  if (!fs::exists(file)) return scope;
  const nlohmann::json j = read_json_object(file);
  try {
    scope.alpha_init = j.at("alpha_init").get<float>();
    scope.input_scales = j.at("input_scale").get<std::vector<std::string>>();
    scope.epochs = j.at("epochs").get<int>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not the settings of a linconv sweep (" + e.what() + ")");
  }
  return scope;
}

}  // namespace

void write_report(const NetworkList& networks, const fs::path& dir) {
  require_gnuplot();
  const std::vector<Run> runs = read_runs(dir / "runs");
  const StudySummary study = summarise(runs, scope_of(dir));
  if (study.settings.empty() && study.first_attempt.empty())
    throw Error((dir / "runs").string() + ": no finished run to report on (" + std::to_string(runs.size()) +
                " unfinished)");
  const fs::path figures = dir / "figures";
  std::error_code ec;
  fs::create_directories(figures, ec);
  if (ec) throw Error(figures.string() + ": cannot create directory: " + ec.message());
  // The sections in reading order, one a line: a paper's (in short, question, method, results,
  // the claims answered, the controls, open questions), then every setting's figures and the
  // feature maps. A study of the first attempt alone has only its section and figures.
  const bool report_network = !study.settings.empty();
  std::string md = header_markdown(runs, study);
  if (report_network) {
    md += summary_markdown(study);
    md += question_markdown();
    md += method_markdown(study);
    md += results_markdown(study, figures);
    md += course_claims_markdown(study);
    md += controls_markdown(study, controls_overview_markdown(study, figures));
  }
  md += first_attempt_markdown(study);
  TestSets test_sets;  // read once for the fold table and the feature maps
  md += fold_table_markdown(networks, runs, test_sets);
  if (report_network) md += open_questions_markdown(study);
  md += figures_markdown(study, figures);
  if (report_network) md += feature_maps_markdown(networks, study, figures, test_sets);
  md += left_out_markdown(study);
  write_file_atomically(dir / "report.md", {std::as_bytes(std::span(md))});
}

void add_report_command(CLI::App& app, const NetworkList& networks) {
  auto dir = std::make_shared<fs::path>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write DIR/report.md and DIR/figures/ from the training runs in DIR/runs/ (needs gnuplot)");
  cmd->add_option("DIR", *dir, "Study directory: runs/ holds one `linconv train --out` folder per run")->required();
  cmd->callback([dir, &networks] {
    write_report(networks, *dir);
    std::printf("wrote %s\n", (*dir / "report.md").c_str());
  });
}

}  // namespace linconv::cli
