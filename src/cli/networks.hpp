#pragma once
// The networks this tool trains and reads, as one compile-time list of (--net, --activation,
// type) entries. Every command reaches a network type through with_network (by name) or
// for_each_network (all of them); adding a network is one line in `Networks` below.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "linconv/error.hpp"
#include "linconv/fashion_net.hpp"
#include "linconv/layers/relu_alpha_per_channel.hpp"
#include "net_names.hpp"

namespace linconv::cli {

// One compiled network: its --net name, its --activation name and its type.
template <FixedString Net, FixedString Activation, class Type>
struct Network {
  static constexpr std::string_view net = Net;
  static constexpr std::string_view activation = Activation;
  using type = Type;
};

template <class... Entries>
struct NetworkList {};

// A study network `With<Activation>` with each activation of the study.
template <FixedString Net, template <class> class With>
using WithEveryActivation = NetworkList<Network<Net, "alpha", With<ReLUAlpha>>,              // one alpha a layer
                                        Network<Net, "relu", With<ReLU>>,                    // alpha fixed at 1
                                        Network<Net, "linear", With<Identity>>,              // alpha fixed at 0
                                        Network<Net, "channel", With<ReLUAlphaPerChannel>>>;  // one alpha a channel

namespace networks_impl {
template <class... Lists>
struct join;
template <class... A>
struct join<NetworkList<A...>> {
  using type = NetworkList<A...>;
};
template <class... A, class... B, class... Rest>
struct join<NetworkList<A...>, NetworkList<B...>, Rest...> : join<NetworkList<A..., B...>, Rest...> {};
}  // namespace networks_impl

// The list (net_names.hpp names the study's networks for code without their types).
using Networks = typename networks_impl::join<
    WithEveryActivation<"fashion", FashionNetWith>,               // the report's network
    WithEveryActivation<"fashion-bn-pool", FashionNetBnPoolWith>  // its first attempt
    >::type;


// Calls f.template operator()<Entry>() for every entry of Networks, in order.
template <class F>
void for_each_network(F&& f) {
  [&]<class... Entries>(NetworkList<Entries...>) { (f.template operator()<Entries>(), ...); }(Networks{});
}

// The --net names and the --activation names, each once, in list order.
inline std::vector<std::string> net_names() {
  std::vector<std::string> names;
  for_each_network([&]<class Entry>() {
    if (std::ranges::find(names, Entry::net) == names.end()) names.emplace_back(Entry::net);
  });
  return names;
}
inline std::vector<std::string> activation_names() {
  std::vector<std::string> names;
  for_each_network([&]<class Entry>() {
    if (std::ranges::find(names, Entry::activation) == names.end()) names.emplace_back(Entry::activation);
  });
  return names;
}

// "a, b or c"
inline std::string choice_text(const std::vector<std::string>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i)
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return text;
}

// "fashion (alpha, relu, linear, channel) and fashion-bn-pool (alpha, relu, linear, channel)"
inline std::string known_networks_text() {
  std::string text;
  const std::vector<std::string> nets = net_names();
  for (std::size_t i = 0; i < nets.size(); ++i) {
    std::string activations;
    for_each_network([&]<class Entry>() {
      if (Entry::net == nets[i]) activations += (activations.empty() ? "" : ", ") + std::string(Entry::activation);
    });
    text += (i == 0 ? "" : i + 1 == nets.size() ? " and " : ", ") + nets[i] + " (" + activations + ")";
  }
  return text;
}

namespace networks_impl {
template <class F, class Entry, class... Rest>
decltype(auto) dispatch(std::string_view net, std::string_view activation, F& f, NetworkList<Entry, Rest...>) {
  if (Entry::net == net && Entry::activation == activation) return f.template operator()<typename Entry::type>();
  if constexpr (sizeof...(Rest) > 0) {
    return dispatch(net, activation, f, NetworkList<Rest...>{});
  } else {
    throw UsageError("--net " + std::string(net) + " --activation " + std::string(activation) +
                     ": no such network; this linconv knows " + known_networks_text());
  }
}
}  // namespace networks_impl

// Calls f.template operator()<Net>() with the network type of (net, activation); f returns the
// same type for every network.
template <class F>
decltype(auto) with_network(std::string_view net, std::string_view activation, F&& f) {
  return networks_impl::dispatch(net, activation, f, Networks{});
}

}  // namespace linconv::cli
