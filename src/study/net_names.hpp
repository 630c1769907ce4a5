#pragma once
// The names of the study's networks, for code that needs them without their types
// (networks.hpp has the types).
#include <string>

namespace linconv::cli {

// The report's network (--net fashion, the default); runs saved before --net existed are of it.
inline constexpr const char* report_net = "fashion";
// The course report's first attempt: batch norm and a 2x2 max pool at every layer.
inline constexpr const char* first_attempt_net = "fashion-bn-pool";

// How a network is named in run folders and figure files: nothing for the report's network
// ("relu-e3-mean-unit-s0"), "bnpool-" for its first attempt, else its --net name and a dash.
inline std::string net_prefix(const std::string& net) {
  if (net == report_net) return "";
  return net == first_attempt_net ? "bnpool-" : net + "-";
}

}  // namespace linconv::cli
