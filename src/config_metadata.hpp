#pragma once
// The "config" metadata of checkpoints (a run's settings, compact JSON: training_run.cpp writes
// and checks it, model.cpp reads its input scale), parsed with the care text from a file needs.
// Internal to the library's sources.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace linconv::detail {

// The JSON of `text`, or a discarded value when it is not JSON or nests deeper than a run's
// settings can (they are one flat object): dump() recurses once per level, so printing a value
// nested a few hundred thousand deep would exhaust the stack.
inline nlohmann::json parse_config_metadata(std::string_view text) {
  constexpr int max_depth = 8;
  bool too_deep = false;
  const auto callback = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > max_depth) too_deep = true;
    return !too_deep;
  };
  nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), callback, false);
  return too_deep ? nlohmann::json(nlohmann::json::value_t::discarded) : parsed;
}

// Text from a file for an error message: at most 60 characters.
inline std::string excerpt(std::string text) {
  return text.size() <= 60 ? text : text.substr(0, 57) + "...";
}

// A JSON value for an error message: at most 60 characters, one line.
inline std::string config_excerpt(const nlohmann::json& value) {
  return excerpt(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace linconv::detail
