// The folded forms of lenet_trainer's LeNetAlpha (linconv/cli.hpp, cli::FoldedForms): 3^4 = 81
// networks, each compiled for `fold` and for reading its checkpoints, in a file of their own so
// that a parallel build compiles them beside lenet_trainer.cpp.
#include <linconv/cli.hpp>

#include "lenet.hpp"

template struct linconv::cli::FoldedForms<linconv::cli::Net<"lenet-alpha", LeNetAlpha>>;
