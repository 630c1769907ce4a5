#pragma once
// The networks of the `linconv` tool: the report's network (--net fashion) and its first attempt
// (--net fashion-bn-pool), each with every activation of the study. Each entry's NetworkOps is
// compiled in its own file under networks/, so that a parallel build compiles them side by side;
// networks.cpp lists them in this order (the first is the default).
#include "linconv/cli.hpp"
#include "linconv/fashion_net.hpp"
#include "linconv/layers/relu_alpha_per_channel.hpp"

namespace linconv::tool {

// The --activation variants of a study network `With<Activation>`.
template <FixedString Net, template <class> class With>
struct Variants {
  using alpha = cli::Net<Net, With<ReLUAlpha>, "alpha">;                  // one learnable alpha a layer
  using relu = cli::Net<Net, With<ReLU>, "relu">;                         // alpha fixed at 1
  using linear = cli::Net<Net, With<Identity>, "linear">;                 // alpha fixed at 0
  using channel = cli::Net<Net, With<ReLUAlphaPerChannel>, "channel">;   // one learnable alpha a channel
};
using Fashion = Variants<"fashion", FashionNetWith>;                  // the report's network
using FashionBnPool = Variants<"fashion-bn-pool", FashionNetBnPoolWith>;  // its first attempt

// One function per entry (networks/<net>_<activation>.cpp).
cli::NetworkOps fashion_alpha();
cli::NetworkOps fashion_relu();
cli::NetworkOps fashion_linear();
cli::NetworkOps fashion_channel();
cli::NetworkOps fashion_bn_pool_alpha();
cli::NetworkOps fashion_bn_pool_relu();
cli::NetworkOps fashion_bn_pool_linear();
cli::NetworkOps fashion_bn_pool_channel();

}  // namespace linconv::tool
