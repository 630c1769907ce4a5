#pragma once
// The study's report: DIR/report.md with the results table, the findings, the figures of the
// course report (loss, accuracy and alphas over iterations; feature maps) and the runs left out,
// from the training runs in DIR/runs/ (one `linconv train --out` folder each). Figures go to
// DIR/figures/ as PNG and SVG, their data and gnuplot scripts to DIR/figures/data/.
#include <filesystem>

#include "networks.hpp"
#include "study_commands.hpp"

namespace linconv::cli {

// Throws linconv::Error (one line, naming the file) when DIR/runs holds no run, a run's files
// are damaged, a model cannot be read, or gnuplot is missing or fails. The checkpoints are read
// as `networks` know them.
void write_report(const NetworkList& networks, const std::filesystem::path& dir);

}  // namespace linconv::cli
