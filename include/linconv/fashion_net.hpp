#pragma once
// The network of the report: three padded convolutions keeping 28x28, each followed by an
// activation, then one fully connected layer to the 10 classes. FashionNet has one learnable
// alpha per layer; FashionNetWith<ReLU> and FashionNetWith<Identity> are the fixed baselines.
#include "linconv/layers/activation.hpp"
#include "linconv/layers/conv.hpp"
#include "linconv/layers/dense.hpp"
#include "linconv/layers/flatten.hpp"
#include "linconv/sequential.hpp"

namespace linconv {

template <class Activation>
using FashionNetWith = Sequential<Input<1, 28, 28>,
                                  Conv<8, 5, 1, 2>, Activation,
                                  Conv<16, 5, 1, 2>, Activation,
                                  Conv<32, 3, 1, 1>, Activation,
                                  Flatten, Dense<10>>;

using FashionNet = FashionNetWith<ReLUAlpha>;

static_assert(FashionNet::output_shape == Shape{10});
static_assert(FashionNet::shape_after<5> == Shape{32, 28, 28});
static_assert(FashionNet::param_count == (8 * 25 + 8) + (16 * 8 * 25 + 16) + (32 * 16 * 9 + 32) +
                                             (10 * 32 * 28 * 28 + 10) + 3);

}  // namespace linconv
