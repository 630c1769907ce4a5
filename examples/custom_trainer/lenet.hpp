#pragma once
// LeNet-5 for 28x28 images (the first convolution pads by 2, as LeCun's 32x32 input had room
// for): two 5x5 convolutions with ReLU and 2x2 max pooling, then three fully connected layers.
#include <linconv/linconv.hpp>

using LeNet = linconv::Sequential<linconv::Input<1, 28, 28>,
                                  linconv::Conv<6, 5, 1, 2>, linconv::ReLU, linconv::MaxPool2d<2>,
                                  linconv::Conv<16, 5>, linconv::ReLU, linconv::MaxPool2d<2>,
                                  linconv::Flatten,
                                  linconv::Dense<120>, linconv::ReLU,
                                  linconv::Dense<84>, linconv::ReLU,
                                  linconv::Dense<10>>;

// The same with a learnable ReLU_alpha, the study's activation, in place of every ReLU.
using LeNetAlpha = linconv::Sequential<linconv::Input<1, 28, 28>,
                                       linconv::Conv<6, 5, 1, 2>, linconv::ReLUAlpha, linconv::MaxPool2d<2>,
                                       linconv::Conv<16, 5>, linconv::ReLUAlpha, linconv::MaxPool2d<2>,
                                       linconv::Flatten,
                                       linconv::Dense<120>, linconv::ReLUAlpha,
                                       linconv::Dense<84>, linconv::ReLUAlpha,
                                       linconv::Dense<10>>;
