#pragma once
// The report's fold table: what `linconv fold` makes of each finished run with
// one learnable alpha a layer, and what the non-linearity that lambda kept costs.
#include <string>
#include <vector>

#include "networks.hpp"
#include "runs.hpp"
#include "test_sets.hpp"

namespace linconv::cli {

// The Markdown section "Folded networks": for each finished run whose activation is `alpha`, its
// checkpoint snapped at 1e-3 and folded; its accuracy before and after snapping, the folded
// architecture, FLOPs per image and one-image latency, unfolded and folded. Empty when the
// study has no such run. Throws linconv::Error naming a checkpoint or data set that cannot be read.
std::string fold_table_markdown(const NetworkList& networks, const std::vector<Run>& runs, TestSets& test_sets);

}  // namespace linconv::cli
