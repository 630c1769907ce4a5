#pragma once
// The study's commands, for cli::Program::commands (linconv/cli.hpp): `sweep` (sweep.hpp) and
// `report` (report.hpp). Declared without CLI11, so that the tool's main() stays light.
namespace CLI {
class App;
}

namespace linconv::cli {

class NetworkList;
void add_sweep_command(CLI::App& app, const NetworkList& networks);
void add_report_command(CLI::App& app, const NetworkList& networks);

}  // namespace linconv::cli
