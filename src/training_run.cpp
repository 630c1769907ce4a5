// The parts of a training run (training_run.hpp) that do not depend on the network: its
// settings as JSON, signals, progress lines, the saved position, epoch rows.
#include "linconv/training_run.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <csignal>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <utility>
#include <nlohmann/json.hpp>

#include "config_metadata.hpp"

namespace linconv {

std::string run_config_json(const RunConfig& c, int indent) {
  const auto optional = [](const auto& value) { return value ? nlohmann::json(*value) : nlohmann::json(nullptr); };
  const nlohmann::json j = {{"data", c.data.string()},
                            {"net", c.net},
                            {"activation", c.activation},
                            {"lambda", c.lambda},
                            {"epochs", c.epochs},
                            {"batch", c.batch},
                            {"lr", c.lr},
                            {"optimizer", c.optimizer},
                            {"lambda_scale", c.lambda_scale},
                            {"alpha_init", c.alpha_init},
                            {"reduction", c.reduction},
                            {"input_scale", c.input_scale},
                            {"seed", c.seed},
                            {"threads", c.threads},
                            {"limit", optional(c.limit)},
                            {"test_limit", optional(c.test_limit)},
                            {"steps", optional(c.steps)},
                            {"shuffle", !c.no_shuffle},
                            {"init", c.init.empty() ? nullptr : nlohmann::json(c.init.string())}};
  return j.dump(indent);
}

namespace {

// A run's settings from the JSON of config.json or of a checkpoint's "config" metadata; Error
// naming `source` when they are not a run's settings.
RunConfig run_config_of_json(const nlohmann::json& j, const std::string& source, const std::string& report_net) {
  try {
    RunConfig c;
    c.data = j.at("data").get<std::string>();
    c.net = j.value("net", report_net);  // runs saved before --net existed
    c.activation = j.at("activation");
    c.lambda = j.at("lambda");
    c.epochs = j.at("epochs");
    c.batch = j.at("batch");
    c.lr = j.at("lr");
    // Runs saved before --optimizer and --lambda-scale existed used Adam and lambda as given.
    c.optimizer = j.value("optimizer", std::string("adam"));
    c.lambda_scale = j.value("lambda_scale", std::string("none"));
    c.alpha_init = j.at("alpha_init");
    c.reduction = j.at("reduction");
    c.input_scale = j.at("input_scale");
    c.seed = j.at("seed");
    c.threads = j.at("threads");
    if (!j.at("limit").is_null()) c.limit = j.at("limit").get<int>();
    // Runs saved before --test-limit existed evaluated on the whole test set.
    if (j.contains("test_limit") && !j.at("test_limit").is_null()) c.test_limit = j.at("test_limit").get<int>();
    if (!j.at("steps").is_null()) c.steps = j.at("steps").get<long>();
    c.no_shuffle = !j.at("shuffle").get<bool>();
    if (!j.at("init").is_null()) c.init = j.at("init").get<std::string>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": not a linconv training configuration (" + e.what() + ")");
  }
}

}  // namespace

RunConfig read_run_config(const std::filesystem::path& dir, const std::string& report_net) {
  const std::filesystem::path file = dir / "config.json";
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot read (is " + dir.string() + " a training run?)");
  RunConfig c = run_config_of_json(nlohmann::json::parse(in, nullptr, false), file.string(), report_net);
  c.out = dir;
  return c;
}

RunConfig run_config_of_checkpoint(const std::string& metadata, const std::filesystem::path& file,
                                   const std::string& report_net) {
  return run_config_of_json(detail::parse_config_metadata(metadata), file.string() + " (config metadata)", report_net);
}

namespace {

// What `value` of `flag` stands for among `choices`; UsageError naming them otherwise.
template <class T>
T choice(const char* flag, const std::string& value, std::initializer_list<std::pair<const char*, T>> choices) {
  std::string names;
  for (const auto& [name, result] : choices) {
    if (value == name) return result;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  throw UsageError(std::string(flag) + " " + value + " is not one of " + names);
}

}  // namespace

TrainOptions train_options(const RunConfig& c) {
  TrainOptions options;
  options.optimizer = choice<Optimizer>("--optimizer", c.optimizer, {{"adam", Optimizer::adam}, {"sgd", Optimizer::sgd}});
  options.adam.lr = options.sgd.lr = c.lr;
  options.lambda = c.lambda;
  options.reduction = choice<Reduction>("--reduction", c.reduction, {{"mean", Reduction::mean}, {"sum", Reduction::sum}});
  options.lambda_scale =
      choice<LambdaScale>("--lambda-scale", c.lambda_scale, {{"none", LambdaScale::none}, {"reduction", LambdaScale::reduction}});
  return options;
}

TrainingData load_training_data(const std::filesystem::path& dir) {
  return {load_fashion_mnist(dir, Split::train), load_fashion_mnist(dir, Split::test)};
}

void check_image_counts(const RunConfig& config, const TrainingData& data) {
  const int train_images = run_detail::image_count(config.limit, data.train.size(), "--limit", "training images");
  run_detail::image_count(config.test_limit, data.test.size(), "--test-limit", "test images");
  check_run_size(config, train_images);
}

void check_run_size(const RunConfig& config, int train_images) {
  if (config.threads < 1 || config.threads > max_thread_count())
    throw UsageError("--threads " + std::to_string(config.threads) + " is outside 1.." +
                     std::to_string(max_thread_count()) + " (4 per core of this machine, and 64 on any)");
  if (config.batch < 1 || config.batch > train_images)
    throw UsageError("--batch " + std::to_string(config.batch) + " exceeds the " + std::to_string(train_images) +
                     " training images " + (config.limit ? "of --limit " + std::to_string(*config.limit) : "there are"));
}

namespace {

// MemAvailable from /proc/meminfo, else the physical memory; the address-space limit if smaller.
std::size_t available_memory() {
  std::size_t bytes = std::size_t(sysconf(_SC_PHYS_PAGES)) * std::size_t(sysconf(_SC_PAGE_SIZE));
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::size_t kilobytes = 0;
  while (meminfo >> key >> kilobytes) {
    if (key == "MemAvailable:") {
      bytes = kilobytes * 1024;
      break;
    }
    meminfo.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    bytes = std::min(bytes, std::size_t(limit.rlim_cur));
  return bytes;
}

std::string gigabytes(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GB", double(bytes) / 1e9);
  return text;
}

}  // namespace

void check_run_memory(const RunConfig& config, std::size_t bytes) {
  const std::size_t available = available_memory();
  if (bytes > available)
    throw UsageError("--batch " + std::to_string(config.batch) + " on --threads " + std::to_string(config.threads) +
                     " needs " + gigabytes(bytes) + " of training buffers, more than the " + gigabytes(available) +
                     " of memory available");
}

namespace {

std::atomic<int> caught_signal{0};
// The lines a second SIGINT or SIGTERM writes before the process ends, made beforehand: the
// handler may only write(2) and _exit(2).
struct Line {
  char text[160];
  std::size_t size;
};
Line second_signal_line[2];
Line& line_of(int signal) { return second_signal_line[signal == SIGINT ? 0 : 1]; }

extern "C" void on_interrupt(int signal) {
  if (caught_signal.exchange(signal) == 0) return;
  const Line& line = line_of(signal);
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.text, line.size);
  ::_exit(1);
}

}  // namespace

InterruptHandler::InterruptHandler(std::string_view program) {
  for (const int signal : {SIGINT, SIGTERM}) {
    Line& line = line_of(signal);
    const int size = std::snprintf(line.text, sizeof line.text,
                                   "%.*s: error: %s again: stopped at once; the files keep the last save\n",
                                   int(std::min<std::size_t>(program.size(), 64)), program.data(), signal_name(signal));
    line.size = std::min(std::size_t(size), sizeof line.text - 1);
  }
  caught_signal = 0;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

InterruptHandler::~InterruptHandler() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

int interrupt_signal() { return caught_signal; }

const char* signal_name(int signal) { return signal == SIGINT ? "SIGINT" : "SIGTERM"; }

namespace run_detail {
namespace {

std::string exact(double v) { return std::to_string(std::bit_cast<std::uint64_t>(v)); }
double from_exact(const std::string& s) { return std::bit_cast<double>(std::stoull(s)); }

}  // namespace

std::map<std::string, std::string> position_metadata(const Position& p) {
  return {{"step", std::to_string(p.step)},
          {"epoch", std::to_string(p.epoch)},
          {"batches_done", std::to_string(p.batches_done)},
          {"loss_sum", exact(p.loss_sum)},
          {"images", std::to_string(p.images)},
          {"seconds", exact(p.seconds)},
          {"finished", p.finished ? "1" : "0"}};
}

Position position_from_metadata(const std::map<std::string, std::string>& meta, const std::filesystem::path& file) {
  const auto field = [&](const char* key) -> const std::string& {
    const auto it = meta.find(key);
    if (it == meta.end()) throw Error(file.string() + ": not a linconv training state (metadata missing)");
    return it->second;
  };
  const auto bad = [&](const char* key) {
    return Error(file.string() + ": not a linconv training state (bad metadata: " + key + ")");
  };
  // A count as position_metadata writes it: decimal digits only, at least `min`. A negative
  // count would index the shuffled order before its start when the run continues.
  const auto count = [&](const char* key, long min, long max) {
    const std::string& text = field(key);
    if (!decimal_digits(text, 19)) throw bad(key);
    try {
      const long value = std::stol(text);
      if (value < min || value > max) throw bad(key);
      return value;
    } catch (const std::out_of_range&) {  // beyond a long
      throw bad(key);
    }
  };
  // A double saved bit for bit, finite (a sum of losses, which a negative --lambda makes
  // negative; seconds, which are not).
  const auto amount = [&](const char* key, bool negative_allowed) {
    const std::string& text = field(key);
    if (!decimal_digits(text, 20)) throw bad(key);
    try {
      const double value = from_exact(text);
      if (!std::isfinite(value) || (value < 0.0 && !negative_allowed)) throw bad(key);
      return value;
    } catch (const std::out_of_range&) {
      throw bad(key);
    }
  };
  constexpr long int_max = std::numeric_limits<int>::max(), long_max = std::numeric_limits<long>::max();
  Position at;
  at.step = count("step", 0, long_max - 1);
  at.epoch = int(count("epoch", 1, int_max - 1));
  at.batches_done = int(count("batches_done", 0, int_max - 1));
  at.loss_sum = amount("loss_sum", true);
  at.images = count("images", 0, long_max - 1);
  at.seconds = amount("seconds", false);
  const std::string& finished = field("finished");
  if (finished != "0" && finished != "1") throw bad("finished");
  at.finished = finished == "1";
  return at;
}

void check_saved_config(const std::filesystem::path& file, const std::map<std::string, std::string>& meta,
                        const std::string& config_json) {
  const auto saved_text = meta.find("config");
  if (saved_text == meta.end()) return;
  const nlohmann::json saved = detail::parse_config_metadata(saved_text->second);
  if (!saved.is_object())
    throw Error(file.string() + ": its \"config\" metadata is not a JSON object (of at most 8 levels)");
  const nlohmann::json settings = nlohmann::json::parse(config_json);
  std::string differences;
  // Settings added to RunConfig since the file was saved are missing from it, not different.
  for (const auto& [key, value] : saved.items())
    if (!settings.contains(key) || settings[key] != value)
      differences += (differences.empty() ? "" : ", ") + detail::excerpt(key) + " " +
                     detail::config_excerpt(value) + " there, " +
                     (settings.contains(key) ? detail::config_excerpt(settings[key]) : "none") + " in config.json";
  if (!differences.empty())
    throw Error(file.string() + " was saved by a run with other settings (" + differences +
                "): config.json was edited, or the file comes from another run; start the run again with --force");
}

void remove_temporaries(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    for (const char* file : {"model.safetensors", "state.safetensors", "config.json"})
      if (name.starts_with(std::string(file) + ".tmp.")) std::filesystem::remove(entry.path(), ec);
  }
}

void remove_saves(const std::filesystem::path& dir) {
  for (const char* file : {"state.safetensors", "model.safetensors", "alphas.csv"}) {
    std::error_code ec;
    std::filesystem::remove(dir / file, ec);
    if (ec) throw Error((dir / file).string() + ": cannot remove the replaced run's file: " + ec.message());
  }
}

int image_count(const std::optional<int>& limit, int available, const char* flag, const char* what) {
  if (limit && *limit > available)
    throw UsageError(std::string(flag) + " " + std::to_string(*limit) + " exceeds the " + std::to_string(available) +
                     " " + what);
  return limit.value_or(available);
}

Progress::Progress() : terminal_(isatty(fileno(stderr)) != 0) {}

bool Progress::due(long step, long steps_in_epoch) {
  const auto now = std::chrono::steady_clock::now();
  const bool last = step == steps_in_epoch;
  if (terminal_ ? now - shown_ < std::chrono::milliseconds(200) && !last
                : step % std::max(1L, steps_in_epoch / 10) != 0 && !last)
    return false;
  shown_ = now;
  return true;
}

void Progress::show(int epoch, int epochs, long step, long steps_in_epoch, double loss, const std::string& alphas,
                    double images_per_s) {
  std::fprintf(stderr, "%sepoch %d/%d  step %ld/%ld  loss %.4f%s  %.0f images/s%s", terminal_ ? "\r\033[K" : "",
               epoch, epochs, step, steps_in_epoch, loss, alphas.c_str(), images_per_s, terminal_ ? "" : "\n");
  if (terminal_ && step == steps_in_epoch) std::fputc('\n', stderr);
  std::fflush(stderr);
}

std::string epoch_row(int epoch, double train_loss, const Evaluation& test, double seconds, long images) {
  char row[200];
  std::snprintf(row, sizeof row, "%d,%.9g,%.9g,%.9g,%.3f,%.1f\n", epoch, train_loss, test.loss, test.accuracy,
                seconds, double(images) / seconds);
  return row;
}

void print_epoch(int epoch, double train_loss, const Evaluation& test, double seconds, long images) {
  std::printf("epoch %d: train loss %.4f  test loss %.4f  test accuracy %.4f  %.1f s  %.0f images/s\n", epoch,
              train_loss, test.loss, test.accuracy, seconds, double(images) / seconds);
  std::fflush(stdout);
}

}  // namespace run_detail
}  // namespace linconv
