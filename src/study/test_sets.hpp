#pragma once
// The test sets of a study's runs, each read once however many of the report's sections use it
// (the fold table and the feature maps).
#include <filesystem>
#include <map>

#include "linconv/data.hpp"
#include "linconv/idx.hpp"
#include "runs.hpp"

namespace linconv::cli {

class TestSets {
 public:
  // The test split of the run's --data (default_data_dir() for a run that recorded none), read
  // on first use; throws linconv::Error when it cannot be read.
  const Dataset& of(const Run& run) {
    const std::filesystem::path dir = run.data.empty() ? default_data_dir() : run.data;
    auto it = sets_.find(dir);
    if (it == sets_.end()) it = sets_.emplace(dir, load_fashion_mnist(dir, Split::test)).first;
    return it->second;
  }

 private:
  std::map<std::filesystem::path, Dataset> sets_;
};

}  // namespace linconv::cli
