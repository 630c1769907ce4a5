// cli::run: the command line of a program over its networks (linconv/cli.hpp).
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "commands.hpp"
#include "linconv/error.hpp"

namespace linconv::cli {
namespace {

// The command (the first argument, unless it is an option such as --help) must be one of the
// app's: CLI11 would say only that "a subcommand is required".
void check_command(const CLI::App& app, int argc, char** argv) {
  if (argc > 1 && argv[1][0] == '-') return;
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands({})) names.push_back(command->get_name());
  const std::string list = choice_text(names);
  if (argc < 2) throw UsageError("a command is required: one of " + list);
  if (std::ranges::find(names, argv[1]) == names.end())
    throw UsageError("unknown command '" + std::string(argv[1]) + "': use one of " + list);
}

}  // namespace

int run(std::span<const NetworkOps> entries, int argc, char** argv, const Program& program) {
  // A file grown past the file size limit (ulimit -f) is then a write that fails with EFBIG,
  // reported naming the file, instead of a process killed without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  const std::string name = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "linconv";
  const NetworkList networks(entries, name);
  CLI::App app{program.description.empty()
                   ? name + ": trains and runs " + networks.known_text() + " (linconv networks)"
                   : std::string(program.description),
               name};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print the help of every command");
  try {
    add_train_command(app, networks, program);
    add_eval_command(app, networks);
    add_predict_command(app, networks);
    add_grad_command(app, networks);
    add_export_command(app, networks);
    add_features_command(app, networks);
    add_fold_command(app, networks);
    for (const AddCommand add : program.commands) add(app, networks);
    check_command(app, argc, argv);
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const ExitStatus& e) {
    return e.status;  // another MPI rank reported the error
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: error: %s (see %s --help)\n", name.c_str(), e.what(), name.c_str());
    return 2;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: error: out of memory\n", name.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
    return 1;
  }
  return 0;
}

}  // namespace linconv::cli
