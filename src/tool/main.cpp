// linconv: train and study the ReLU_alpha networks of the report (see `linconv --help`): the
// commands of cli::run over the project's networks, and the study's sweep and report.
#include "linconv/cli.hpp"
#include "project_networks.hpp"
#include "study_commands.hpp"

int main(int argc, char** argv) {
  using namespace linconv;
  const cli::NetworkOps networks[] = {
      tool::fashion_alpha(),         tool::fashion_relu(),         tool::fashion_linear(),
      tool::fashion_channel(),       tool::fashion_bn_pool_alpha(), tool::fashion_bn_pool_relu(),
      tool::fashion_bn_pool_linear(), tool::fashion_bn_pool_channel()};
  const cli::AddCommand study_commands[] = {cli::add_sweep_command, cli::add_report_command};
  return cli::run(networks, argc, argv,
                  {.description = "linconv: how much non-linearity does a convolutional network need?\n"
                                  "A compile-time static-graph CNN on FashionMNIST with ReLU_alpha activations.",
                   .net_help = "fashion: the report's network; fashion-bn-pool: its first attempt, batch norm and a "
                               "2x2 max pool at every layer",
                   .activation_help = "alpha: learnable ReLU_alpha, one alpha a layer; relu: alpha fixed at 1; "
                                      "linear: alpha fixed at 0; channel: learnable ReLU_alpha, one alpha a channel "
                                      "(default: alpha)",
                   .commands = study_commands});
}
