// What Model<Net> needs from a checkpoint besides its tensors: the input scale of its training
// configuration (JSON in the "config" metadata, parsed here to keep JSON out of the headers).
#include "linconv/model.hpp"

#include <nlohmann/json.hpp>

#include "config_metadata.hpp"

namespace linconv {

InputScale parse_input_scale(std::string_view text) {
  if (text == "unit") return InputScale::unit;
  if (text == "raw") return InputScale::raw;
  throw Error("unknown input scale '" + std::string(text) + "' (unit or raw)");
}

InputScale checkpoint_input_scale(const SafetensorsFile& contents, const std::filesystem::path& file) {
  const auto config_text = contents.metadata.find("config");
  if (config_text == contents.metadata.end()) return InputScale::unit;
  const nlohmann::json config = detail::parse_config_metadata(config_text->second);
  if (!config.is_object())
    throw Error(file.string() + ": the \"config\" metadata is not a JSON object (of at most 8 levels)");
  const auto scale = config.find("input_scale");
  if (scale == config.end()) return InputScale::unit;
  if (!scale->is_string() || (*scale != "unit" && *scale != "raw"))
    throw Error(file.string() + ": the \"config\" metadata has input_scale " + detail::config_excerpt(*scale) +
                ", expected \"unit\" or \"raw\"");
  return parse_input_scale(scale->get<std::string>());
}

}  // namespace linconv
