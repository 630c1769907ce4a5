#pragma once
// What `linconv fold` computes that the study's report reuses (study/fold_table.cpp).
#include <string>

#include "linconv/cli.hpp"

namespace linconv::cli {

// The folded network's state as a checkpoint's contents (no metadata), for NetworkOps that read one.
SafetensorsFile folded_contents(const FoldedNetwork& folded);

// "13.1 M", "15.7 k", "950".
std::string with_unit(double value);

}  // namespace linconv::cli
