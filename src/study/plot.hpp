#pragma once
// Line plots drawn by gnuplot (Debian's gnuplot-nox): a figure of one or more panels side by
// side, each with curves of (x, y) points, written as PNG (pngcairo) and SVG. The data and the
// gnuplot script stay beside the figures (data/<name>.dat, data/<name>.gp), so that a figure can
// be redrawn or restyled with gnuplot alone.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gnuplot.hpp"  // require_gnuplot

namespace linconv::cli {

// How a curve's points are drawn: joined, joined with a marker at each, or markers alone.
enum class Style { line, line_points, points };

struct Curve {
  std::string title;  // legend entry; empty: none
  std::string color;  // "#rrggbb"
  Style style = Style::line;
  std::vector<std::pair<double, double>> xy;
  int dash = 1;        // gnuplot's dashtype: 1 solid, 2 dashed, 3 short dashes, 4 dash-dot
  double width = 1.5;  // line width
  // A band behind the curve, shaded in its colour: the low and high value at each point of xy
  // (the range over the seeds around their mean), or empty.
  std::vector<std::pair<double, double>> band;
};

struct Panel {
  std::string title, xlabel, ylabel;
  std::string key = "top right";  // gnuplot's key position
  std::vector<Curve> curves;
  std::optional<std::pair<double, double>> xrange;  // default: the curves' own
  std::optional<std::pair<double, double>> yrange;  // default: gnuplot's autoscale
  bool log_x = false;                               // a logarithmic x axis
  std::vector<double> xtics;                        // ticks at these x, labelled with them; empty: gnuplot's
};

struct Figure {
  std::string name;  // file stem
  std::string title;
  std::vector<Panel> panels;
};

// Curves of more points than this are thinned to every k-th point (and the last) for drawing.
inline constexpr std::size_t max_points_per_curve = 2000;

// Writes dir/<name>.png, dir/<name>.svg and their data and script under dir/data/; throws
// linconv::Error with gnuplot's message when gnuplot fails.
void draw_figure(const Figure& figure, const std::filesystem::path& dir);

}  // namespace linconv::cli
