// linconv: train and study the ReLU_alpha network of the report (see `linconv --help`).
#include <cstdio>
#include <exception>
#include <new>

#include "cluster.hpp"
#include "commands.hpp"
#include "linconv/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"linconv: how much non-linearity does a convolutional network need?\n"
               "A compile-time static-graph CNN on FashionMNIST with ReLU_alpha activations."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print the help of every command");
  linconv::cli::add_train_command(app);
  linconv::cli::add_eval_command(app);
  linconv::cli::add_predict_command(app);
  linconv::cli::add_grad_command(app);
  linconv::cli::add_sweep_command(app);
  linconv::cli::add_export_command(app);
  linconv::cli::add_features_command(app);
  linconv::cli::add_report_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const linconv::cli::ExitStatus& e) {
    return e.status;  // another MPI rank reported the error
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "linconv: error: %s (see linconv --help)\n", e.what());
    return 2;
  } catch (const linconv::UsageError& e) {
    std::fprintf(stderr, "linconv: error: %s\n", e.what());
    return 2;
  } catch (const linconv::Error& e) {
    std::fprintf(stderr, "linconv: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "linconv: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "linconv: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
