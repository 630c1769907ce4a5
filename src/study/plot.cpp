#include "plot.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "gnuplot.hpp"
#include "linconv/error.hpp"

namespace linconv::cli {
namespace {

namespace fs = std::filesystem;

// One data block per curve (gnuplot's `index`), blocks separated by two blank lines: x, y and,
// for a curve with a band, its low and high.
void write_data(const Figure& figure, const fs::path& file) {
  std::ofstream out(file);
  for (const Panel& panel : figure.panels)
    for (const Curve& curve : panel.curves) {
      if (!curve.band.empty() && curve.band.size() != curve.xy.size())
        throw Error(figure.name + ": curve '" + curve.title + "' has a band of another length than its points");
      out << "# " << panel.title << ": " << curve.title << (curve.band.empty() ? "" : " (x, y, low, high)") << "\n";
      const std::size_t stride = (curve.xy.size() + max_points_per_curve - 1) / max_points_per_curve;
      for (std::size_t i = 0; i < curve.xy.size(); ++i)
        if (i % std::max<std::size_t>(stride, 1) == 0 || i + 1 == curve.xy.size()) {
          out << curve.xy[i].first << ' ' << curve.xy[i].second;
          if (!curve.band.empty()) out << ' ' << curve.band[i].first << ' ' << curve.band[i].second;
          out << '\n';
        }
      out << "\n\n";
    }
  if (!out) throw Error(file.string() + ": cannot write");
}

const char* style_text(Style style) {
  switch (style) {
    case Style::line: return "lines";
    case Style::line_points: return "linespoints pt 7 ps 0.8";
    case Style::points: return "points pt 7 ps 0.6";
  }
  return "lines";
}

// The multiplot commands of the figure, for the current terminal and output.
std::string plot_commands(const Figure& figure, const fs::path& data) {
  std::ostringstream gp;
  gp << "set multiplot layout 1," << figure.panels.size() << " title " << gnuplot_string(figure.title) << " font ',13'\n";
  int block = 0;
  for (const Panel& panel : figure.panels) {
    gp << "set title " << gnuplot_string(panel.title) << "\nset xlabel " << gnuplot_string(panel.xlabel) << "\nset ylabel "
       << gnuplot_string(panel.ylabel) << "\nset key " << panel.key << " opaque box spacing 1.3\n";
    if (panel.xrange) gp << "set xrange [" << panel.xrange->first << ":" << panel.xrange->second << "]\n";
    else gp << "set autoscale xfix\n";  // the data's own range: plain autoscale rounds up, past the last step
    if (panel.yrange) gp << "set yrange [" << panel.yrange->first << ":" << panel.yrange->second << "]\n";
    else gp << "set autoscale y\n";
    gp << (panel.log_x ? "set logscale x\n" : "unset logscale x\n");
    if (panel.xtics.empty()) {
      gp << "set xtics autofreq\n";
    } else {
      // On a log axis, a tick less than 0.12 decades (a 32nd of a 2-decade panel, about the
      // width of a label) after the last labelled one keeps its mark without a label: "0.7" and
      // "0.9" would print as one "0.70.9".
      gp << "set xtics (";
      double labelled = -std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < panel.xtics.size(); ++i) {
        const double x = panel.xtics[i];
        const bool label = !panel.log_x || std::log10(x) - labelled >= 0.12;
        if (label && panel.log_x) labelled = std::log10(x);
        gp << (i ? ", " : "") << (label ? "" : "\"\" ") << x;
      }
      gp << ")\n";
    }
    gp << "plot ";
    // Bands first, under every line.
    const char* separator = "";
    for (std::size_t c = 0; c < panel.curves.size(); ++c)
      if (!panel.curves[c].band.empty()) {
        gp << separator << gnuplot_string(data.string()) << " index " << block + int(c)
           << " using 1:3:4 with filledcurves fs transparent solid 0.18 noborder lc rgb "
           << gnuplot_string(panel.curves[c].color) << " notitle";
        separator = ", \\\n     ";
      }
    for (const Curve& curve : panel.curves) {
      gp << separator << gnuplot_string(data.string()) << " index " << block++ << " using 1:2 with " << style_text(curve.style)
         << " lw " << curve.width << " dt " << curve.dash << " lc rgb " << gnuplot_string(curve.color) << ' '
         << (curve.title.empty() ? "notitle" : "title " + gnuplot_string(curve.title));
      separator = ", \\\n     ";
    }
    gp << "\n";
  }
  gp << "unset multiplot\n";
  return gp.str();
}

// Paths in the script are relative to the figures' directory, where gnuplot runs.
void write_script(const Figure& figure, const fs::path& script, const fs::path& data) {
  // One panel is as wide as the figure's title needs; more sit side by side.
  const int width = std::max(900, 100 + 550 * int(figure.panels.size())), height = 450;
  const std::string size = " size " + std::to_string(width) + "," + std::to_string(height);
  const std::string plots = plot_commands(figure, data);
  std::ofstream out(script);
  out << "# " << figure.title << "\nset encoding utf8\nset grid\n"
      << "set terminal pngcairo enhanced font 'sans,11'" << size << "\nset output "
      << gnuplot_string(figure.name + ".png") << "\n" << plots
      << "set terminal svg enhanced dynamic font 'sans,11' background '#ffffff'" << size << "\nset output "
      << gnuplot_string(figure.name + ".svg") << "\n" << plots << "set output\n";
  if (!out) throw Error(script.string() + ": cannot write");
}

}  // namespace

void draw_figure(const Figure& figure, const fs::path& dir) {
  const fs::path data_dir = dir / "data";
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) throw Error(data_dir.string() + ": cannot create directory: " + ec.message());
  const fs::path data = fs::path("data") / (figure.name + ".dat"), script = data_dir / (figure.name + ".gp");
  write_data(figure, dir / data);
  write_script(figure, script, data);
  run_gnuplot(dir, script, data_dir / (figure.name + ".log"));
}

}  // namespace linconv::cli
