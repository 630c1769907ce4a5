#pragma once
// The networks of the report. FashionNet: three padded convolutions keeping 28x28, each followed
// by an activation, then one fully connected layer to the 10 classes; one learnable alpha per
// layer, and FashionNetWith<ReLU> and FashionNetWith<Identity> are the fixed baselines.
// FashionNetBnPool: the report's discarded first attempt, the same convolutions with batch norm
// and a 2x2 max pool at every layer (28 -> 14 -> 7 -> 3), then fc1 288 -> 10.
#include "linconv/layers/activation.hpp"
#include "linconv/layers/batch_norm.hpp"
#include "linconv/layers/conv.hpp"
#include "linconv/layers/dense.hpp"
#include "linconv/layers/flatten.hpp"
#include "linconv/layers/max_pool.hpp"
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

template <class Activation>
using FashionNetBnPoolWith = Sequential<Input<1, 28, 28>,
                                        Conv<8, 5, 1, 2>, BatchNorm2d, Activation, MaxPool2d<2>,
                                        Conv<16, 5, 1, 2>, BatchNorm2d, Activation, MaxPool2d<2>,
                                        Conv<32, 3, 1, 1>, BatchNorm2d, Activation, MaxPool2d<2>,
                                        Flatten, Dense<10>>;

using FashionNetBnPool = FashionNetBnPoolWith<ReLUAlpha>;

static_assert(FashionNetBnPool::shape_after<11> == Shape{32, 3, 3});
static_assert(FashionNetBnPool::tensors[FashionNetBnPool::tensor_count - 2].tensor.dims[1] == 288);
static_assert(FashionNetBnPool::buffer_tensor_count == 9);

}  // namespace linconv
