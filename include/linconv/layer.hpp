#pragma once
// The layer contract. A layer *spec* (Conv<8,5,1,2>, BatchNorm2d, ...) is what users write;
// `Spec::bind<Index, In>` is the layer placed in a network, its input shape known. A bound layer
// derives from LayerBase<In> (which supplies the optional members' defaults) and provides
//
//   static constexpr Shape out;                      its output shape (a function of In)
//   static constexpr std::string_view kind;          "conv", "bn", "act", "pool", "flatten", "fc"
//   static constexpr auto name;                      FixedString: how C++ spells the spec
//   static constexpr std::array<ParamTensor, K> tensors;   parameters (trained by Adam)
//   static constexpr std::size_t param_count;
//   static void forward(const LayerTensors&, Images<in>, ImagesOut<out>, const Context&);
//   static void backward(const LayerTensors&, Images<in> x, Images<out> y, Images<out> dy,
//                        ImagesOut<in> dx, const Context&);
// and, where the default does not fit,
//   buffers / buffer_floats / counter_count    saved tensors that are not trained (F32 and I64)
//   scratch_floats   per-thread floats, free between calls
//   saved_floats     per-thread floats kept from a layer's forward pass to its backward pass
//   team_values      doubles the layer sums over the whole batch at once (Context::sum)
//   in_place         the output aliases the input (Flatten)
//   static void init(const InitTensors&, Rng&, const InitOptions&);
//
// forward writes y; backward *adds* the parameter gradient into LayerTensors::dparams and writes
// dx (skipped when dx is empty: the first layer needs no input gradient). Forward runs in
// training or evaluation mode (Context::mode); only batch-coupled layers tell them apart.
// check_layer_contract (below) checks all of this when a network binds the layer, with one
// message per missing member that names it; BoundLayer is the same as a concept.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "linconv/rng.hpp"
#include "linconv/shape.hpp"
#include "linconv/team.hpp"

namespace linconv {

// A tensor of a layer, in PyTorch's layout: `suffix` after the layer's name ("weight", "bias",
// "alpha", "running_mean"), dims as PyTorch spells them (rank 0: a scalar), offset within the
// layer's parameters or buffers of its dtype.
struct ParamTensor {
  std::string_view suffix;
  std::array<int, 4> dims{};
  int rank = 0;
  std::size_t offset = 0;
  bool integer = false;  // an I64 buffer (a counter, e.g. num_batches_tracked)
  // Values that cannot be negative (a variance, a count): a checkpoint with a negative one is
  // refused, where it would give NaN or nonsense at the first pass.
  bool non_negative = false;
  constexpr std::size_t count() const {
    std::size_t n = 1;
    for (int i = 0; i < rank; ++i) n *= static_cast<std::size_t>(dims[i]);
    return n;
  }
};

struct InitOptions {
  float alpha = 0.5f;  // initial value of every learnable alpha
};

// Training: batch-coupled layers use the statistics of the batch and update their buffers.
// Evaluation: they use their buffers (the running statistics), one image at a time.
enum class Mode { training, evaluation };

// n images of shape S, [n, S.size()] row-major (C, H, W). `data` may be null (no input gradient).
template <Shape S, class T>
struct ImageSpan {
  T* data = nullptr;
  int n = 0;
  static constexpr std::size_t image_size = std::size_t(S.size());

  T* image(int k) const { return data + std::size_t(k) * image_size; }
  std::size_t size() const { return std::size_t(n) * image_size; }
  T* begin() const { return data; }
  T* end() const { return data + size(); }
  explicit operator bool() const { return data != nullptr; }
};
// Read-only and writable images (classes rather than aliases: g++ 12 crashes on such aliases
// with a dependent shape inside lambdas).
template <Shape S>
struct Images : ImageSpan<S, const float> {};
template <Shape S>
struct ImagesOut : ImageSpan<S, float> {};

// A layer's tensors during a pass. Buffers are read in evaluation mode; in training mode one
// thread of the team is handed *_out (the same arena, writable) to store their new values.
struct LayerTensors {
  const float* params = nullptr;
  float* dparams = nullptr;  // backward adds the parameter gradient here
  const float* buffers = nullptr;
  const std::int64_t* counters = nullptr;
  float* buffers_out = nullptr;
  std::int64_t* counters_out = nullptr;
};

// A layer's tensors to initialise.
struct InitTensors {
  float* params = nullptr;
  float* buffers = nullptr;
  std::int64_t* counters = nullptr;
};

// Where a pass runs: its mode, this thread's memory, and the team of threads sharing the batch.
struct Context {
  Mode mode = Mode::evaluation;
  int thread = 0;
  Team* team = nullptr;      // null: this call sees the whole batch
  float* scratch = nullptr;  // scratch_floats of this thread
  float* saved = nullptr;    // saved_floats of this thread for this layer
  // Whether a backward pass follows this forward pass: without one, a layer fused with the
  // activation after it stores the activation's output only, not its own (Conv).
  bool backward_follows = true;

  // The sum over the whole batch of every thread's `mine` (team.hpp), identical in every thread.
  void sum(std::span<const double> mine, std::span<double> total) const {
    if (team) {
      team->sum(thread, mine, total);
    } else {
      std::copy(mine.begin(), mine.end(), total.begin());
    }
  }
};

// Defaults of the optional members of a bound layer.
template <Shape In>
struct LayerBase {
  static constexpr Shape in = In;
  static constexpr std::array<ParamTensor, 0> buffers{};
  static constexpr std::size_t buffer_floats = 0;
  static constexpr std::size_t counter_count = 0;
  static constexpr std::size_t scratch_floats = 0;
  static constexpr std::size_t saved_floats = 0;
  static constexpr std::size_t team_values = 0;
  static constexpr bool in_place = false;
  static void init(const InitTensors&, Rng&, const InitOptions&) {}
};

// static_assert(require<Condition, DIAGNOSTIC<Index, Shape...>>::value, "message"): when the
// condition is false the compiler prints the diagnostic's full type, numbers included.
template <bool Ok, class Diagnostic>
struct require {
  static constexpr bool value = true;
};
template <class Diagnostic>
struct require<false, Diagnostic> {
  static constexpr bool value = Diagnostic::value;
};
struct diagnostic {
  static constexpr bool value = false;
};

// --- The contract, member by member -------------------------------------------------------

template <std::size_t Layer, class Member>
struct LAYER_LACKS_MEMBER : diagnostic {};
// The members LAYER_LACKS_MEMBER names.
namespace layer_member {
struct in_and_out {};
struct kind_and_name {};
struct tensors_and_buffers {};
struct memory_sizes {};
struct init {};
struct forward {};
struct backward {};
}  // namespace layer_member

// The members are looked up by their declared types (decltype), so that checking a layer does
// not evaluate its sizes: a layer whose own static checks fail reports only those.
namespace contract {
template <class L, class T>
concept member_of_type = std::convertible_to<L, T>;
template <class L>
concept shapes = member_of_type<decltype(L::in), Shape> && member_of_type<decltype(L::out), Shape>;
template <class L>
concept naming = member_of_type<decltype(L::kind), std::string_view> && requires { L::name.view(); };
template <class L>
concept tensors = member_of_type<decltype(*L::tensors.begin()), ParamTensor> &&
                  member_of_type<decltype(L::param_count), std::size_t> &&
                  member_of_type<decltype(*L::buffers.begin()), ParamTensor> &&
                  member_of_type<decltype(L::buffer_floats), std::size_t> &&
                  member_of_type<decltype(L::counter_count), std::size_t>;
template <class L>
concept memory = member_of_type<decltype(L::scratch_floats), std::size_t> &&
                 member_of_type<decltype(L::saved_floats), std::size_t> &&
                 member_of_type<decltype(L::team_values), std::size_t> &&
                 member_of_type<decltype(L::in_place), bool>;
template <class L>
concept init = requires(const InitTensors& t, Rng& rng, const InitOptions& o) { L::init(t, rng, o); };
template <class L>
concept forward = requires(const LayerTensors& t, Images<L::in> x, ImagesOut<L::out> y, const Context& c) {
  L::forward(t, x, y, c);
};
template <class L>
concept backward = requires(const LayerTensors& t, Images<L::in> x, Images<L::out> y, Images<L::out> dy,
                            ImagesOut<L::in> dx, const Context& c) { L::backward(t, x, y, dy, dx, c); };
}  // namespace contract

template <class L>
concept BoundLayer = contract::shapes<L> && contract::naming<L> && contract::tensors<L> &&
                     contract::memory<L> && contract::init<L> && contract::forward<L> && contract::backward<L>;

// Checks the layer at `Index` against the contract, one diagnostic per missing part.
template <std::size_t Index, class L>
constexpr bool check_layer_contract() {
  static_assert(require<contract::shapes<L>, LAYER_LACKS_MEMBER<Index, layer_member::in_and_out>>::value,
                "a bound layer needs static constexpr Shape in and out");
  static_assert(require<contract::naming<L>, LAYER_LACKS_MEMBER<Index, layer_member::kind_and_name>>::value,
                "a bound layer needs static constexpr kind (string_view) and name (FixedString)");
  static_assert(require<contract::tensors<L>, LAYER_LACKS_MEMBER<Index, layer_member::tensors_and_buffers>>::value,
                "a bound layer needs tensors, param_count, buffers, buffer_floats and counter_count "
                "(derive from LayerBase<In> for the buffers' defaults)");
  static_assert(require<contract::memory<L>, LAYER_LACKS_MEMBER<Index, layer_member::memory_sizes>>::value,
                "a bound layer needs scratch_floats, saved_floats, team_values and in_place "
                "(derive from LayerBase<In> for the defaults)");
  static_assert(require<contract::init<L>, LAYER_LACKS_MEMBER<Index, layer_member::init>>::value,
                "a bound layer needs static void init(const InitTensors&, Rng&, const InitOptions&)");
  static_assert(require<contract::forward<L>, LAYER_LACKS_MEMBER<Index, layer_member::forward>>::value,
                "a bound layer needs static void forward(const LayerTensors&, Images<in>, "
                "ImagesOut<out>, const Context&)");
  static_assert(require<contract::backward<L>, LAYER_LACKS_MEMBER<Index, layer_member::backward>>::value,
                "a bound layer needs static void backward(const LayerTensors&, Images<in> x, "
                "Images<out> y, Images<out> dy, ImagesOut<in> dx, const Context&)");
  return true;
}

}  // namespace linconv
