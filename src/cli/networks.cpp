#include "networks.hpp"

#include <algorithm>

#include "linconv/error.hpp"

namespace linconv::cli {

const NetworkOps& NetworkList::find(std::string_view net, std::string_view activation) const {
  if (net.empty()) net = entries_.front().net;
  for (const NetworkOps& e : entries_)
    if (e.net == net && (activation.empty() || e.activation == activation)) return e;
  std::string named = "--net " + std::string(net);
  if (!activation.empty()) named += " --activation " + std::string(activation);
  throw UsageError(named + ": no such network; this " + program_ + " knows " + known_text());
}

const NetworkOps* NetworkList::with_architecture(std::string_view architecture) const {
  for (const NetworkOps& e : entries_)
    if (e.architecture == architecture) return &e;
  for (const NetworkOps& e : entries_)
    for (std::span<const NetworkOps> forms : {e.folded, e.merged})
      for (const NetworkOps& form : forms)
        if (form.architecture == architecture) return &form;
  return nullptr;
}

std::vector<std::string> NetworkList::net_names() const {
  std::vector<std::string> names;
  for (const NetworkOps& e : entries_)
    if (std::ranges::find(names, e.net) == names.end()) names.emplace_back(e.net);
  return names;
}

std::vector<std::string> NetworkList::activation_names(std::string_view net) const {
  std::vector<std::string> names;
  for (const NetworkOps& e : entries_)
    if ((net.empty() || e.net == net) && !e.activation.empty() && std::ranges::find(names, e.activation) == names.end())
      names.emplace_back(e.activation);
  return names;
}

bool NetworkList::has_variants() const { return !activation_names().empty(); }

std::string NetworkList::known_text() const {
  std::string text;
  const std::vector<std::string> nets = net_names();
  for (std::size_t i = 0; i < nets.size(); ++i) {
    std::string variants;
    for (const std::string& a : activation_names(nets[i])) variants += (variants.empty() ? "" : ", ") + a;
    text += (i == 0 ? "" : i + 1 == nets.size() ? " and " : ", ") + nets[i] +
            (variants.empty() ? "" : " (" + variants + ")");
  }
  return text;
}

std::string choice_text(const std::vector<std::string>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i)
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return text;
}

}  // namespace linconv::cli
