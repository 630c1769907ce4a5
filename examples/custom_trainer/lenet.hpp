#pragma once
// LeNet-5 for 28x28 images (the first convolution pads by 2, as LeCun's 32x32 input had room
// for): two 5x5 convolutions with ReLU and 2x2 max pooling, then three fully connected layers.
// LeNetAlpha has a learnable ReLU_alpha, the study's activation, in place of every ReLU.
#include <linconv/linconv.hpp>

template <class Activation>
using LeNetWith = linconv::Sequential<linconv::Input<1, 28, 28>,
                                      linconv::Conv<6, 5, 1, 2>, Activation, linconv::MaxPool2d<2>,
                                      linconv::Conv<16, 5>, Activation, linconv::MaxPool2d<2>,
                                      linconv::Flatten,
                                      linconv::Dense<120>, Activation,
                                      linconv::Dense<84>, Activation,
                                      linconv::Dense<10>>;

using LeNet = LeNetWith<linconv::ReLU>;
using LeNetAlpha = LeNetWith<linconv::ReLUAlpha>;
