#pragma once
// The training objective: softmax cross-entropy over the logits plus lambda * sum |alpha|.
//   ce_i = logsumexp(z_i) - z_i[y_i];  CE = sum_i ce_i (Reduction::sum) or its mean (::mean)
//   dCE/dz_i = (softmax(z_i) - onehot(y_i)) * (1 or 1/batch)
#include <cmath>
#include <cstdint>

namespace linconv {

enum class Reduction { mean, sum };

struct CrossEntropy {
  double sum = 0.0;  // sum of ce_i over the images seen
  int correct = 0;   // images whose largest logit is the label (first maximum on ties)
};

// For n images with `classes` logits each. When grad is not null it receives dCE/dz with the
// given scale (1 for sum, 1/batch for mean).
inline CrossEntropy softmax_cross_entropy(const float* logits, const std::uint8_t* labels, int n,
                                          int classes, float* grad, float scale) {
  CrossEntropy result;
  for (int i = 0; i < n; ++i) {
    const float* z = logits + std::size_t(i) * classes;
    int best = 0;
    for (int k = 1; k < classes; ++k)
      if (z[k] > z[best]) best = k;
    double total = 0.0;
    for (int k = 0; k < classes; ++k) total += std::exp(double(z[k]) - z[best]);
    const double log_total = std::log(total);
    result.sum += log_total + z[best] - z[labels[i]];
    result.correct += best == labels[i];
    if (grad) {
      float* g = grad + std::size_t(i) * classes;
      for (int k = 0; k < classes; ++k) {
        const double p = std::exp(double(z[k]) - z[best] - log_total);
        g[k] = static_cast<float>((p - (k == labels[i])) * scale);
      }
    }
  }
  return result;
}

}  // namespace linconv
