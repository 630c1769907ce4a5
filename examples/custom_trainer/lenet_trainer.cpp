// lenet_trainer: linconv's command line (train, eval, predict, grad, export, features) for LeNet
// and for LeNet with a learnable ReLU_alpha, the study's activation, in place of every ReLU.
//   lenet_trainer train --out runs/lenet --epochs 5
//   lenet_trainer train --net lenet-alpha --lambda 0.1 --out runs/lenet-alpha
//   lenet_trainer eval --checkpoint runs/lenet/model.safetensors
#include <linconv/cli.hpp>

#include "lenet.hpp"

using namespace linconv;

// LeNetAlpha's 81 folded forms (`fold`, one per snap pattern of its four alphas) compile in
// lenet_alpha_folded.cpp, beside this file.
extern template struct cli::FoldedForms<cli::Net<"lenet-alpha", LeNetAlpha>>;

int main(int argc, char** argv) {
  return cli::main<cli::Net<"lenet", LeNet>, cli::Net<"lenet-alpha", LeNetAlpha>>(argc, argv);
}
