#pragma once
// The rules by which the report judges its runs, shared by its sections (findings.cpp, which
// states them in the findings, and controls.cpp). Each threshold is written into the text that
// uses it.
#include <optional>
#include <string>
#include <vector>

#include "statistics.hpp"
#include "study.hpp"

namespace linconv::cli {

// An alpha "goes to" 0 or 1 when it ends within this of it.
inline constexpr double near_alpha = 0.1;
// An alpha has settled when a least-squares line through its values over the run's last epoch
// changes it by at most this much over that epoch (statistics.hpp, last_epoch_change).
inline constexpr double settled_change = 0.01;
// The course report's gap between its ReLU and linear nets ("decreased by 7.5%"), read as points.
inline constexpr double claimed_linear_gap_points = 7.5;

enum class Fate { zero, one, between, below_zero, above_one };
Fate fate_of(double alpha);
// "→0", "→1", "between", "<0", ">1": a fate in a table cell or a count
const char* fate_short(Fate f);

// The change of alpha k (0-based) over the run's last epoch (statistics.hpp, last_epoch_change).
double last_epoch_alpha_change(const Run& run, int k);

// "2 →0, 1 between · 1 moving": the fates of alpha k over a setting's seeds, and how many seeds'
// alpha k had not settled.
std::string seed_fates_cell(const SettingSummary& s, int k);

// The epochs of the protocol's shortest ReLU_alpha runs (0 without any): the runs that "In short",
// the open questions and the controls take as the protocol's short runs.
int shortest_alpha_epochs(const StudySummary& study);

// Every setting of the report's network, protocol and controls alike (controls.cpp).
std::vector<const SettingSummary*> report_settings(const StudySummary& study);
// The initial alpha of the protocol's ReLU_alpha runs (the first found; 0.5 without any).
double protocol_alpha_init(const StudySummary& study);

// "mean reduction, unit input": the groups that the findings compare within.
std::string group_of(const Setting& s);

// Each seed's final test accuracy of a setting, in percent.
std::vector<double> accuracy_points(const SettingSummary& s);

// Welch's comparison of two settings' final test accuracies in points (a minus b); none when
// either has a single seed.
std::optional<Difference> accuracy_difference(const SettingSummary& a, const SettingSummary& b);

// "+1.23 (95 % interval -0.50 to +2.96, Welch p = 0.12)": the difference of two settings' mean
// accuracies in points, with what the seeds say of it (`d`, accuracy_difference); the difference
// alone for a single seed.
std::string difference_text(const SettingSummary& a, const SettingSummary& b, const std::optional<Difference>& d);
std::string difference_text(const SettingSummary& a, const SettingSummary& b);

// A claim that two settings are as accurate, against the 95 % interval of their difference: it
// agrees when the interval lies within +-same_accuracy_points, disagrees when it lies wholly
// outside, and the seeds cannot tell when it straddles the edge. A single seed has only the
// difference itself.
std::string equivalence_verdict(const std::optional<Difference>& d, double difference_points);

}  // namespace linconv::cli
