#pragma once
// Running gnuplot (Debian's gnuplot-nox), which draws linconv's figures: the feature maps of
// `features` and the report's plots. A figure is a script and its data, kept beside the image
// so that it can be redrawn or restyled with gnuplot alone.
#include <filesystem>
#include <string>

namespace linconv::cli {

// Throws linconv::Error, saying how to install it, when gnuplot is not on PATH.
void require_gnuplot();

// `text` as a gnuplot string literal: single quotes, which take no escapes but '' for '.
std::string gnuplot_string(const std::string& text);

// `text` shown as it is in enhanced text mode, where _ ^ @ & ~ { } and \ would format it (file
// and run names); returns the text to put in gnuplot_string.
std::string enhanced_literal(const std::string& text);

// Runs gnuplot on `script` in `dir` (where the script's relative paths start), its output to
// `log`; throws linconv::Error naming the script, with gnuplot's last line, when it fails.
void run_gnuplot(const std::filesystem::path& dir, const std::filesystem::path& script,
                 const std::filesystem::path& log);

}  // namespace linconv::cli
