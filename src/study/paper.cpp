// The parts of the report that make it read as a paper: the question, the method (the protocol
// as the runs present show it, what each reduction and Adam do to the penalty, the statistics,
// the controls and why each exists) and the open questions the runs raise. Numbers come from the
// runs; each question is asked only when the runs show what prompts it, by the rule it states.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "judgements.hpp"
#include "study.hpp"

namespace linconv::cli {
namespace {

// "0.1, 0.5 and 2"
template <class T, class Text>
std::string list_text(const std::set<T>& values, Text text) {
  std::string out;
  std::size_t i = 0;
  for (const T& v : values) {
    out += (i == 0 ? "" : i + 1 == values.size() ? " and " : ", ") + text(v);
    ++i;
  }
  return out;
}

std::string number_text(double v) { return format("%g", v); }

// "ReLU_α λ 0.1 (mean, 3 epochs)": a setting of the protocol, short.
std::string short_label(const Setting& s) {
  const std::string network = s.activation == "alpha"    ? "ReLU_α λ " + lambda_text(*s.lambda)
                              : s.activation == "relu"    ? "ReLU"
                              : s.activation == "linear"  ? "linear"
                                                          : s.activation + (s.lambda ? " λ " + lambda_text(*s.lambda) : "");
  return network + " (" + s.reduction + (s.input_scale == "unit" ? "" : ", " + s.input_scale + " input") + ", " +
         epochs_text(s.epochs) + ")";
}

// The seed counts of the protocol's settings: the most common, then each other count with the
// settings that have it ("10 for ReLU_α λ 0.1 (mean, 3 epochs)").
std::string seeds_markdown(const StudySummary& study) {
  std::map<std::size_t, std::vector<const SettingSummary*>> by_count;
  for (const SettingSummary& s : study.settings) by_count[s.runs.size()].push_back(&s);
  if (by_count.empty()) return "";
  const auto common = std::ranges::max_element(by_count, {}, [](const auto& e) { return e.second.size(); });
  std::ostringstream md;
  md << count_text(common->first, "seed") << " for " << common->second.size() << " of "
     << study.settings.size() << " settings";
  for (const auto& [count, settings] : by_count) {
    if (count == common->first) continue;
    md << "; " << count << " for ";
    for (std::size_t i = 0; i < settings.size(); ++i)
      md << (i == 0 ? "" : i + 1 == settings.size() ? " and " : ", ") << short_label(settings[i]->setting);
  }
  return md.str();
}

}  // namespace

std::string question_markdown() {
  return "## Question\n\n"
         "A convolutional network on FashionMNIST has three conv layers, each followed by ReLU_α(x) = ReLU(x) - "
         "(1 - α) ReLU(-x) with one learnt α per layer: α = 1 is ReLU, α = 0 the identity, so α measures how much "
         "non-linearity a layer keeps. The loss adds λ (|α1| + |α2| + |α3|), a price on non-linearity. The course "
         "report this study reproduces (Curaba and Olivetti, *On the Linearization of Convolutional Layers for "
         "FashionMNIST Dataset*, Trieste 2023) trained it for λ from 0.1 to 5 and concluded that α2 and α3 "
         "\"rapidly jump to 1\" for every λ while α1 stays in [0.5, 0.8], that ReLU_α is as accurate as ReLU, "
         "that the network without activations is 7.5 % less accurate, and that α = 1 is \"exactly an "
         "equilibrium\". The question: **how much non-linearity does training keep when it has to pay for it, "
         "and do the course report's answers hold** when the runs are repeated over seeds and judged with "
         "intervals?\n\n";
}

std::string method_markdown(const StudySummary& study) {
  std::set<double> short_lambdas, long_lambdas, lrs, inits;
  std::set<int> epochs, batches;
  std::set<std::string> reductions;
  long steps_per_epoch = 0;
  for (const SettingSummary& s : study.settings) {
    epochs.insert(s.setting.epochs);
    reductions.insert(s.setting.reduction);
    if (s.setting.alpha_init) inits.insert(*s.setting.alpha_init);
    for (const Run* run : s.runs) {
      batches.insert(run->batch);
      if (run->lr > 0.0) lrs.insert(run->lr);
      steps_per_epoch = std::max(steps_per_epoch, run->epochs.front().last_step);
    }
  }
  const int first = epochs.empty() ? 0 : *epochs.begin();
  for (const SettingSummary& s : study.settings)
    if (s.setting.learns_alphas()) (s.setting.epochs == first ? short_lambdas : long_lambdas).insert(*s.setting.lambda);
  auto lambda = [](double l) { return lambda_text(l); };
  std::ostringstream md;
  md << "## Method\n\n### Protocol\n\n"
        "The network is the course report's: conv 1→8 (5x5, padding 2), conv 8→16 (5x5, padding 2), conv "
        "16→32 (3x3, padding 1), each followed by its ReLU_α, then one dense layer 25088→10; PyTorch's default "
        "initialisation";
  if (!inits.empty()) md << ", α = " << list_text(inits, number_text) << " at the start";
  md << ", Adam with PyTorch's defaults (β 0.9 and 0.999, ε 1e-8)";
  if (!lrs.empty()) md << ", learning rate " << list_text(lrs, number_text);
  if (!batches.empty()) md << ", batches of " << list_text(batches, [](int b) { return std::to_string(b); }) << " images";
  md << ". The baselines are the same network with ReLU (α fixed at 1) and without activations (linear, α fixed "
        "at 0). The runs present: ReLU_α at λ "
     << list_text(short_lambdas, lambda) << " over " << epochs_text(first);
  if (!long_lambdas.empty()) {
    std::set<int> longer(std::next(epochs.begin()), epochs.end());
    md << ", and at λ " << list_text(long_lambdas, lambda) << " over "
       << list_text(longer, [](int e) { return epochs_text(e); });
  }
  md << "; under " << list_text(reductions, [](const std::string& r) { return r; }) << " reduction. Seeds: "
     << seeds_markdown(study) << ". A seed sets the initial weights and the order of the batches; "
        "runs of one setting differ only in it, so the seeds of a setting are independent draws of its outcome.\n\n";

  const int batch = batches.empty() ? 100 : *batches.rbegin();
  const double lr = lrs.empty() ? 1e-3 : *lrs.begin();
  md << "### What the reduction does to the penalty\n\n"
        "*Mean* reduction (PyTorch's default) averages the cross-entropy over the batch, *sum* adds it up: with B = "
     << batch
     << " images a batch, the summed cross-entropy and its gradient are B times the mean's, while the penalty "
        "λ Σ|α| is the same in both. At equal λ the penalty therefore weighs B times less against the "
        "cross-entropy under sum than under mean reduction: sum at λ is mean at λ / "
     << batch
     << ", up to the loss's overall scale. That scale does not matter to Adam, which divides each parameter's step "
        "by the running root-mean-square of that parameter's gradient: a step is about the learning rate whatever "
        "the gradient's size. Two consequences the controls test: multiplying the whole loss by B (the scaled "
        "penalty) should change nothing, and once the penalty's gradient dominates an α's, the α falls by about "
        "the learning rate every step whatever λ is";
  if (steps_per_epoch > 0) {
    const double epochs_to_zero = 0.5 / lr / double(steps_per_epoch);
    md << " (at " << number_text(lr) << " a step, from 0.5 to 0 in " << format("%.0f", 0.5 / lr) << " steps, "
       << (epochs_to_zero < 1.0 ? format("%.2f of an epoch", epochs_to_zero) : format("%.1f epochs", epochs_to_zero))
       << " of " << steps_per_epoch << " steps)";
  }
  md << ". The course report does not say which reduction it used; both are run here.\n\n";

  md << "### Statistics and rules\n\n"
        "Test accuracy is the accuracy on the test set after the last epoch. Each cell of a table gives the mean ± "
        "the sample standard deviation over the seeds. Intervals are 95 % intervals: of a mean, Student's t with "
        "n - 1 degrees of freedom; of a difference between two settings, Welch's t (unequal variances, "
        "Welch-Satterthwaite degrees of freedom), with its p-value. Judgements follow fixed rules, stated where "
        "they are used: an α *goes to* 0 or 1 when it ends within "
     << near_alpha << " of it, and is still *moving* when a least-squares line through its last epoch changes it "
        "by more than "
     << settled_change << "; two settings are *as accurate* when the 95 % interval of their difference lies "
        "within ±"
     << same_accuracy_points << " point, *not* when it lies outside, and *undecided* when it crosses the edge.\n\n";

  md << "### Controls\n\n"
        "Each control changes one thing against the protocol (its section below says what the runs present "
        "show, or that they are not enough yet):\n\n"
        "- *Baselines as long as the long runs*: the course report compares its long ReLU_α runs with short "
        "ReLU and linear nets.\n"
        "- *Raw input (0..255)*: the course report performed \"no transformations\"; the input's scale may be "
        "where its 7.5-point linear gap comes from.\n"
        "- *Initial α of 0.9, 1 and 1.1*: the only way to test that α = 1 is an equilibrium.\n"
        "- *The penalty scaled to the reduction*: sum reduction with the penalty times B, which should reproduce "
        "mean reduction if the penalty's relative weight is the whole difference.\n"
        "- *SGD beside Adam*: without Adam's normalisation an α's fall should scale with λ.\n\n";
  return md.str();
}

std::string summary_markdown(const StudySummary& study) {
  // The shortest runs' ReLU_alpha settings by group, and the fates of each layer's alpha over
  // every seed of every lambda.
  const int first = shortest_alpha_epochs(study);
  struct Counts {
    std::set<double> lambdas;
    int runs = 0;
    std::array<std::map<Fate, int>, 3> fates;
  };
  std::map<std::string, Counts> groups;
  for (const SettingSummary& s : study.settings) {
    if (!s.setting.learns_alphas() || s.setting.epochs != first) continue;
    Counts& c = groups[group_of(s.setting)];
    c.lambdas.insert(*s.setting.lambda);
    for (const Run* run : s.runs) {
      ++c.runs;
      for (int k = 0; k < 3; ++k) ++c.fates[k][fate_of(run->final_alphas()[k])];
    }
  }
  if (groups.empty()) return "";
  std::ostringstream md;
  md << "## In short\n\nWhere each layer's α ends after " << epochs_text(first) << ", counted over every seed of "
     << "every λ (*→0*, *→1*: within " << near_alpha << " of it; *between*: in between):\n\n";
  for (const auto& [group, c] : groups) {
    md << "- **" << group << "** (λ " << list_text(c.lambdas, [](double l) { return lambda_text(l); }) << ", "
       << count_text(c.runs, "run") << "):";
    for (int k = 0; k < 3; ++k) {
      md << (k ? ";" : "") << " α" << k + 1;
      const char* separator = " ";
      for (const auto& [fate, count] : c.fates[k]) {
        md << separator << fate_short(fate) << " in " << count;
        separator = ", ";
      }
    }
    md << ".\n";
  }
  md << "\nThe overview figure under *Results* draws the same against λ; the course report's claims, part by part, "
        "and the controls follow it.\n\n";
  return md.str();
}

std::string open_questions_markdown(const StudySummary& study) {
  std::ostringstream md;
  md << "## Open questions\n\nQuestions the runs raise; each is asked because the runs present meet the condition "
        "stated with it.\n\n";
  int asked = 0;
  std::vector<std::string> moving, split;
  std::map<std::string, std::vector<const SettingSummary*>> by_group;  // the shortest runs' ReLU_alpha settings
  const int first = shortest_alpha_epochs(study);
  for (const SettingSummary& s : study.settings) {
    if (!s.setting.learns_alphas()) continue;
    if (s.setting.epochs == first) by_group[group_of(s.setting)].push_back(&s);
    std::string still, differ;
    for (int k = 0; k < 3; ++k) {
      std::set<Fate> fates;
      bool moves = false;
      for (const Run* run : s.runs) {
        fates.insert(fate_of(run->final_alphas()[k]));
        moves |= std::abs(last_epoch_alpha_change(*run, k)) > settled_change;
      }
      if (moves) still += (still.empty() ? "α" : ", α") + std::to_string(k + 1);
      if (fates.size() > 1) differ += (differ.empty() ? "α" : ", α") + std::to_string(k + 1);
    }
    if (!still.empty()) moving.push_back(s.setting.describe() + " (" + still + ")");
    if (!differ.empty()) split.push_back(s.setting.describe() + " (" + differ + ")");
  }
  auto list = [&](const std::vector<std::string>& items) {
    for (const std::string& item : items) md << "   - " << item << "\n";
    md << "\n";
  };
  if (!moving.empty()) {
    ++asked;
    md << asked << ". **Where do the moving alphas settle?** In " << count_text(moving.size(), "setting")
       << " an α of at least one seed is still moving at the end (a least-squares line through its last epoch "
          "changes it by more than "
       << settled_change << "): their final values are not where training would leave them.\n";
    list(moving);
  }
  if (!split.empty()) {
    ++asked;
    md << asked << ". **What decides a seed's fate?** In " << count_text(split.size(), "setting")
       << " the seeds of one λ end with an α in different classes (→0, between, →1): the outcome is not a "
          "function of λ alone. The seed sets both the initial weights and the batches' order; runs that "
          "hold one fixed and vary the other would tell which matters.\n";
    list(split);
  }
  for (const auto& [group, settings] : by_group) {
    // ReLU_alpha below ReLU at every lambda, the gap at the largest lambda wider than at the smallest.
    if (settings.size() < 3) continue;
    const SettingSummary* relu = relu_baseline(study, settings.front()->setting);
    if (!relu) continue;
    bool below = true;
    std::size_t nonlinear = 0;  // settings where an alpha ends above near_alpha on average
    for (const SettingSummary* s : settings) {
      below &= s->accuracy.mean < relu->accuracy.mean;
      nonlinear += std::max({s->alphas[0].mean, s->alphas[1].mean, s->alphas[2].mean}) > near_alpha;
    }
    if (2 * nonlinear < settings.size()) continue;  // a net gone linear loses what the linear net does
    const double smallest = 100 * (settings.front()->accuracy.mean - relu->accuracy.mean);
    const double largest = 100 * (settings.back()->accuracy.mean - relu->accuracy.mean);
    if (!below || !(largest < smallest)) continue;
    ++asked;
    md << asked << ". **What does ReLU_α lose against ReLU under " << group << "?** Over "
       << epochs_text(first) << " its mean accuracy is below ReLU's at every λ run (" << settings.size()
       << " λ), by " << format("%.2f", -smallest) << " points at λ " << lambda_text(*settings.front()->setting.lambda)
       << " and " << format("%.2f", -largest) << " at λ " << lambda_text(*settings.back()->setting.lambda)
       << ", though in " << nonlinear << " of these settings an α stays above " << near_alpha
       << " on average. Is it the non-linearity the penalty removes, or the cost of alphas still moving when "
          "training stops? Longer runs at the larger λ, with their baselines, would separate the two.\n\n";
  }
  for (const auto& [group, settings] : by_group) {
    // alpha1 the lowest of the three in every setting where the alphas did not all go to 0.
    int kept = 0, lowest = 0;
    for (const SettingSummary* s : settings) {
      const auto& a = s->alphas;
      if (std::max({a[0].mean, a[1].mean, a[2].mean}) <= near_alpha) continue;
      ++kept;
      lowest += a[0].mean < a[1].mean && a[0].mean < a[2].mean;
    }
    if (kept < 2 || lowest != kept) continue;
    ++asked;
    md << asked << ". **Why does the first layer keep the least non-linearity?** Under " << group << ", in all "
       << kept << " settings (" << epochs_text(first) << ") where the alphas do not all go to 0, α1 ends below "
       << "α2 and α3 on average. The course report suggests early layers need non-linearity less; the gradient "
          "reaching α1 may also simply be smaller. Comparing the cross-entropy's gradient on each α "
          "(`grad_alphaN` in metrics.csv) with the penalty's λ would tell them apart.\n\n";
  }
  if (asked == 0) md << "The runs present meet none of these conditions.\n\n";
  return md.str();
}

}  // namespace linconv::cli
