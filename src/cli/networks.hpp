#pragma once
// The networks a program built with cli::run knows (linconv/cli.hpp), as the commands see them:
// looked up by --net and --activation, named in help texts and error messages.
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "linconv/cli.hpp"

namespace linconv::cli {

class NetworkList {
 public:
  // `program`: the program's name, for messages ("this linconv knows ...").
  NetworkList(std::span<const NetworkOps> entries, std::string program)
      : entries_(entries), program_(std::move(program)) {}

  std::span<const NetworkOps> entries() const { return entries_; }
  const std::string& program() const { return program_; }

  // The entry of (net, activation); an empty name means the first listed (the default). Throws
  // UsageError naming what this program knows.
  const NetworkOps& find(std::string_view net, std::string_view activation) const;
  // The entry whose architecture is `architecture`, else the folded form of an entry that has it
  // (a checkpoint written by `fold`, or by `fold --merge-convs`), or null.
  const NetworkOps* with_architecture(std::string_view architecture) const;

  // The --net names, each once, in list order; the --activation names of `net` (all nets: empty).
  std::vector<std::string> net_names() const;
  std::vector<std::string> activation_names(std::string_view net = {}) const;
  // Whether any network has activation variants (and the commands an --activation flag).
  bool has_variants() const;

  // "fashion (alpha, relu, linear, channel) and fashion-bn-pool (...)", or "lenet and vgg".
  std::string known_text() const;

 private:
  std::span<const NetworkOps> entries_;
  std::string program_;
};

// "a, b or c"
std::string choice_text(const std::vector<std::string>& names);

}  // namespace linconv::cli
