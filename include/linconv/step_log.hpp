#pragma once
// What a training run (training_run.hpp) writes after each optimiser step: a row of metrics.csv (step, epoch, loss,
// ce, penalty, alpha1..3, grad_alpha1..3) and, for a network with per-channel alphas, a row of
// alphas.csv (step, then every alpha value: act1.alpha[0], act1.alpha[1], ...). metrics.csv's
// alpha columns hold each layer's alpha, or the mean of its values when it has one per channel,
// and grad_alpha the mean of its gradients likewise (the mean, not the sum: a per-channel
// layer's sum would grow with its channel count).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <span>
#include <string>

#include "linconv/atomic_file.hpp"
#include "linconv/error.hpp"
#include "linconv/params.hpp"
#include "linconv/trainer.hpp"

namespace linconv {

// Keeps the header and the first `rows` lines of a CSV file (the rows an interrupted run had
// saved state for). Refuses a file with fewer whole lines: one cut short (or edited) since. One
// truncate(2), so that a process killed in it leaves the file either whole or cut.
inline void truncate_csv(const std::filesystem::path& file, long rows) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot read");
  std::string line;
  std::uintmax_t kept = 0;
  long whole = -1;  // rows after the header; a last line without its newline does not count
  while (whole < rows && std::getline(in, line) && !in.eof()) {
    kept += line.size() + 1;
    ++whole;
  }
  if (whole < rows)
    throw Error(file.string() + ": " + std::to_string(std::max(0L, whole)) + " whole rows where the saved state has " +
                std::to_string(rows) + "; the file was cut short, and the run cannot continue from it");
  in.close();
  std::error_code ec;
  std::filesystem::resize_file(file, kept, ec);
  if (ec) throw Error(file.string() + ": cannot cut it to the saved state's rows: " + ec.message());
}

// The alpha of a layer: the mean of its alpha tensor's values in `values` (laid out as the
// network's parameters), its only value for one alpha per layer.
inline double layer_alpha(std::span<const float> values, const NetTensor& t) {
  const std::span<const float> alpha = values.subspan(t.offset, t.tensor.count());
  return std::accumulate(alpha.begin(), alpha.end(), 0.0) / double(alpha.size());
}

template <class Net>
class StepLog {
 public:
  static constexpr auto alphas = alpha_tensors<Net>();
  static constexpr bool per_channel_alphas = [] {
    for (const NetTensor& t : alphas)
      if (t.tensor.count() > 1) return true;
    return false;
  }();

  // Opens metrics.csv (and alphas.csv) in `dir`: new files with their headers, or those of a
  // resumed run cut to the `steps` rows its saved state has seen, to append to. Rows reach the
  // files by flush() (or in blocks); a refused write throws linconv::Error naming the file.
  StepLog(const std::filesystem::path& dir, bool resume, long steps) {
    const std::filesystem::path metrics = dir / "metrics.csv", alphas_csv = dir / "alphas.csv";
    if (resume) {
      truncate_csv(metrics, steps);
      if (per_channel_alphas) truncate_csv(alphas_csv, steps);
    }
    metrics_ = AppendFile(metrics, !resume);
    if (!resume) metrics_.write("step,epoch,loss,ce,penalty,alpha1,alpha2,alpha3,grad_alpha1,grad_alpha2,grad_alpha3\n");
    if (!per_channel_alphas) return;
    alphas_ = AppendFile(alphas_csv, !resume);
    if (resume) return;
    std::string header = "step";
    for (const NetTensor& t : alphas)
      for (std::size_t k = 0; k < t.tensor.count(); ++k) header += ',' + t.name() + '[' + std::to_string(k) + ']';
    alphas_.write(header + '\n');
  }

  // The rows of optimiser step `step`: the parameters after it and the gradients it used.
  void write(long step, int epoch, const StepStats& stats, std::span<const float> params,
             std::span<const float> gradients) {
    char text[160];
    std::snprintf(text, sizeof text, "%ld,%d,%.9g,%.9g,%.9g", step, epoch, stats.loss, stats.ce, stats.penalty);
    metrics_.write(text + layer_cells(params) + layer_cells(gradients) + '\n');
    if (!per_channel_alphas) return;
    std::string row = std::to_string(step);
    for (const NetTensor& t : alphas)
      for (const float value : params.subspan(t.offset, t.tensor.count())) {
        std::snprintf(text, sizeof text, ",%.9g", value);
        row += text;
      }
    alphas_.write(row + '\n');
  }

  void flush() {
    metrics_.flush();
    if (per_channel_alphas) alphas_.flush();
  }

  // "  act1.alpha 0.498  act2.alpha 0.501 ...": each layer's alpha (a per-channel one's mean)
  // with `digits` decimals, for progress lines.
  static std::string alpha_text(std::span<const float> params, int digits) {
    std::string text;
    char cell[64];
    for (const NetTensor& t : alphas) {
      std::snprintf(cell, sizeof cell, "  %s %.*f", t.name().c_str(), digits, layer_alpha(params, t));
      text += cell;
    }
    return text;
  }

 private:
  // Three cells (CONVENTIONS.md), ",a1,a2,a3": each layer's alpha, empty for fixed activations.
  static std::string layer_cells(std::span<const float> values) {
    std::string cells;
    char text[32];
    for (std::size_t k = 0; k < 3; ++k) {
      cells += ',';
      if (k < alphas.size()) {
        std::snprintf(text, sizeof text, "%.9g", layer_alpha(values, alphas[k]));
        cells += text;
      }
    }
    return cells;
  }

  AppendFile metrics_, alphas_;
};

}  // namespace linconv
