#include "fold_table.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <zlib.h>

#include "common.hpp"
#include "fold.hpp"
#include "statistics.hpp"

namespace linconv::cli {
namespace {

namespace fs = std::filesystem;

constexpr float snap_eps = 1e-3f;  // `linconv fold`'s default --snap
// Each network's one-image passes stop after this much time (or at most_passes), so that a
// study of 190 runs reports in seconds; the median of at least least_passes is its latency.
constexpr double latency_budget_seconds = 0.025;
constexpr int least_passes = 5, most_passes = 1000;

// The median wall time of one-image forward passes (one thread, after one pass to warm up) of
// the network a checkpoint's contents hold, on `image` (scaled as the network was trained).
double one_image_latency(const NetworkOps& network, const SafetensorsFile& contents, const fs::path& file,
                         std::span<const float> image) {
  using Clock = std::chrono::steady_clock;
  const std::unique_ptr<Inference> inference = network.inference(contents, file, 1, 1);
  std::vector<float> logits(std::size_t(network.output_shape.size()));
  inference->logits(image.data(), 1, logits.data());
  std::vector<double> seconds;
  const Clock::time_point start = Clock::now();
  while (int(seconds.size()) < most_passes &&
         (int(seconds.size()) < least_passes ||
          std::chrono::duration<double>(Clock::now() - start).count() < latency_budget_seconds)) {
    const Clock::time_point before = Clock::now();
    inference->logits(image.data(), 1, logits.data());
    seconds.push_back(std::chrono::duration<double>(Clock::now() - before).count());
  }
  return median(std::move(seconds));
}

// "1.23 ms", "4.5 us".
std::string latency_text(double seconds) {
  char text[32];
  if (seconds >= 1e-3)
    std::snprintf(text, sizeof text, "%.2f ms", seconds * 1e3);
  else
    std::snprintf(text, sizeof text, "%.1f us", seconds * 1e6);
  return text;
}

struct FoldRow {
  std::string run;
  double accuracy_before = 0.0, accuracy_after = 0.0;
  int test_images = 0;
  std::string folded_architecture;
  double flops = 0.0, folded_flops = 0.0;
  double latency = 0.0, folded_latency = 0.0;
  std::optional<std::uint32_t> checkpoint_crc32;  // of the checkpoint the row was measured on
};

FoldRow fold_row(const NetworkList& networks, const Run& run, const Dataset& test) {
  const CheckpointInfo info = read_checkpoint_info(networks, run.dir / "model.safetensors", "", "");
  const NetworkOps& network = *info.network;
  if (!network.fold) throw Error(info.file.string() + ": already " + folded_network_text(network));
  const FoldedNetwork folded = network.fold(info.contents, info.file, snap_eps);
  const SafetensorsFile folded_state = folded_contents(folded);
  const InputScale scale = info.input_scale("");
  const int count = std::min(run.test_limit.value_or(test.size()), test.size());

  FoldRow row{.run = run.dir.filename().string(),
              .accuracy_before = run.test_acc(),
              .test_images = count,
              .folded_architecture = std::string(folded.network->architecture),
              .flops = network.flops_per_image,
              .folded_flops = folded.network->flops_per_image};
  // The snapped network is the run's own when no alpha was snapped; otherwise its folded form
  // computes it (to float rounding) at a fraction of the cost.
  row.accuracy_after = folded.snapped_alphas.empty()
                           ? row.accuracy_before
                           : evaluate(*folded.network, folded_state, info.file, test, count, scale, default_thread_count()).accuracy;
  std::vector<float> image(std::size_t(network.input_shape.size()));
  const std::uint32_t first = 0;
  gather_batch(test.images, std::span(&first, 1), scale, image.data());
  row.latency = one_image_latency(network, info.contents, info.file, image);
  row.folded_latency = one_image_latency(*folded.network, folded_state, info.file, image);
  return row;
}

// A run's row is kept beside its logs, in fold.json, and given again while the checkpoint has
// the same bytes (its CRC-32; not its time, which a git checkout sets anew): a study's report
// does not measure every run again, and the repository keeps a study's logs and these rows, not
// its checkpoints.
constexpr const char* row_file = "fold.json";

std::uint32_t file_crc32(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<char> buffer(std::size_t(1) << 16);
  uLong crc = crc32(0L, Z_NULL, 0);
  while (in.read(buffer.data(), std::streamsize(buffer.size())) || in.gcount() > 0)
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buffer.data()), uInt(in.gcount()));
  if (in.bad() || !in.eof()) throw Error(file.string() + ": cannot read it");
  return std::uint32_t(crc);
}

void save_row(const fs::path& dir, const FoldRow& r) {
  const nlohmann::json j = {{"run", r.run},
                            {"accuracy_before", r.accuracy_before},
                            {"accuracy_after", r.accuracy_after},
                            {"test_images", r.test_images},
                            {"folded_architecture", r.folded_architecture},
                            {"flops", r.flops},
                            {"folded_flops", r.folded_flops},
                            {"latency_seconds", r.latency},
                            {"folded_latency_seconds", r.folded_latency},
                            {"checkpoint_crc32", r.checkpoint_crc32 ? nlohmann::json(*r.checkpoint_crc32) : nullptr}};
  write_json_object(dir / row_file, j);
}

FoldRow saved_row(const fs::path& dir) {
  const fs::path file = dir / row_file;
  const nlohmann::json j = read_json_object(file);
  try {
    return {.run = dir.filename().string(),
            .accuracy_before = j.at("accuracy_before"),
            .accuracy_after = j.at("accuracy_after"),
            .test_images = j.at("test_images"),
            .folded_architecture = j.at("folded_architecture"),
            .flops = j.at("flops"),
            .folded_flops = j.at("folded_flops"),
            .latency = j.at("latency_seconds"),
            .folded_latency = j.at("folded_latency_seconds"),
            .checkpoint_crc32 = j.contains("checkpoint_crc32") && j.at("checkpoint_crc32").is_number_unsigned()
                                    ? std::optional<std::uint32_t>(j.at("checkpoint_crc32").get<std::uint32_t>())
                                    : std::nullopt};
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not a fold table row (" + e.what() + ")");
  }
}

}  // namespace

std::string fold_table_markdown(const NetworkList& networks, const std::vector<Run>& runs, TestSets& test_sets) {
  std::vector<FoldRow> rows;
  std::string skipped;
  for (const Run& run : runs) {
    if (!run.finished || run.setting.activation != "alpha") continue;
    const fs::path model = run.dir / "model.safetensors";
    const std::optional<FoldRow> kept = fs::exists(run.dir / row_file) ? std::optional(saved_row(run.dir)) : std::nullopt;
    if (fs::exists(model)) {
      const std::uint32_t crc = file_crc32(model);
      if (kept && kept->checkpoint_crc32 == crc) {
        rows.push_back(*kept);
      } else {
        rows.push_back(fold_row(networks, run, test_sets.of(run)));
        rows.back().checkpoint_crc32 = crc;
        save_row(run.dir, rows.back());
      }
    } else if (kept) {
      rows.push_back(*kept);
    } else {
      skipped += "- " + run.dir.filename().string() + ": no model.safetensors nor " + row_file + "\n";
    }
  }
  if (rows.empty() && skipped.empty()) return "";

  std::ostringstream md;
  md << "## Folded networks\n\n"
        "What `linconv fold` makes of each finished run with one learnable alpha a layer: alphas within "
     << snap_eps
     << " of 0 or 1 snapped to the identity or ReLU, and the layers behind the last non-linearity folded into one "
        "dense layer. *Before*: the run's final test accuracy (epochs.csv); *after*: the snapped network's on the "
        "same test images, computed by its folded form (exact up to float rounding). FLOPs of one image's forward "
        "pass. Latency: the median of one-image forward passes on one thread (as many as fit in "
     << latency_budget_seconds * 1e3 << " ms, at least " << least_passes
     << "), measured by the first report that saw the run's checkpoint, so on a busy machine it is noisy; the "
        "ratio is what folding buys, given only where folding removes FLOPs (elsewhere the two latencies differ by "
        "noise alone). Each row is kept in its run's "
     << row_file
     << " and given again while the checkpoint has the same bytes or is gone (the repository keeps the runs' logs and "
        "these rows, not their checkpoints).\n\n"
        "| run | accuracy before | after | test images | folded architecture | FLOPs/image | folded | latency | "
        "folded | speedup |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const FoldRow& r : rows) {
    char numbers[64];
    std::snprintf(numbers, sizeof numbers, "| %.4f | %.4f | %d |", r.accuracy_before, r.accuracy_after, r.test_images);
    // Where folding removes no FLOPs the two networks do the same work, and their latencies
    // differ by the machine's noise only: no ratio to report.
    char speedup[32] = "-";
    if (r.folded_flops < r.flops) std::snprintf(speedup, sizeof speedup, "%.1fx", r.latency / r.folded_latency);
    md << "| " << r.run << " " << numbers << " `" << r.folded_architecture << "` | " << with_unit(r.flops) << " | "
       << with_unit(r.folded_flops) << " | " << latency_text(r.latency) << " | " << latency_text(r.folded_latency)
       << " | " << speedup << " |\n";
  }
  md << "\n";
  if (!skipped.empty()) md << "Not folded:\n\n" << skipped << "\n";
  return md.str();
}

}  // namespace linconv::cli
