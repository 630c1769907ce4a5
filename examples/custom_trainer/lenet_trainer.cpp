// lenet_trainer: linconv's command line (train, eval, predict, grad, export, features) for LeNet
// and for LeNet with a learnable ReLU_alpha, the study's activation, in place of every ReLU.
//   lenet_trainer train --out runs/lenet --epochs 5
//   lenet_trainer train --net lenet-alpha --lambda 0.1 --out runs/lenet-alpha
//   lenet_trainer eval --checkpoint runs/lenet/model.safetensors
#include <linconv/cli.hpp>

#include "lenet.hpp"

using namespace linconv;

using LeNetAlpha = Sequential<Input<1, 28, 28>, Conv<6, 5, 1, 2>, ReLUAlpha, MaxPool2d<2>, Conv<16, 5>, ReLUAlpha,
                              MaxPool2d<2>, Flatten, Dense<120>, ReLUAlpha, Dense<84>, ReLUAlpha, Dense<10>>;

int main(int argc, char** argv) {
  return cli::main<cli::Net<"lenet", LeNet>, cli::Net<"lenet-alpha", LeNetAlpha>>(argc, argv);
}
