// What folding buys (linconv/fold.hpp): inference of the report's network folded behind each
// convolution whose activation training can make the identity, named by what it folds,
//   infer/batch:B/folded:conv3        conv3 and fc1 as one Dense (12544 -> 10)
//   infer/batch:B/folded:conv2+conv3  conv2, conv3 and fc1 as one Dense (6272 -> 10)
//   infer/batch:B/folded:all          the whole network as one Dense (784 -> 10)
// and what merging convolutions buys (`fold --merge-convs`), named by the chain merged,
//   infer/batch:B/merged:conv1+conv2        act1 the identity, conv1 and conv2 as one 9x9
//                                           convolution; act2 and act3 kept
//   infer/batch:B/merged:conv1+conv2+conv3  every act the identity, the three as one 11x11
// for B 1 and 100, on one thread, as infer/batch:B (bench_main.cpp) runs the unfolded network:
// the ratio of their times in the same run is the speedup. The kept alphas are 0.5, as there.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <utility>

#include "benchmarks.hpp"
#include "linconv/fashion_net.hpp"
#include "linconv/fold.hpp"

namespace linconv::bench {
namespace {

using Net = FashionNet;

// infer/batch:B/<form> of a network whose parameters were made once, before any benchmark runs,
// from the unfolded benchmark's weights.
template <class N>
void register_inference(const std::string& form, Params<N> made, int batch) {
  const auto params = std::make_shared<const Params<N>>(std::move(made));
  const std::string name = "infer/batch:" + std::to_string(batch) + "/" + form;
  benchmark::RegisterBenchmark(name.c_str(), [params, batch](benchmark::State& state) {
    infer(state, *params, batch);
  })->Unit(benchmark::kMicrosecond);
}

template <SnapPattern<Net> Pattern>
void register_folded(int batch) {
  register_inference("folded:" + folded_convolutions<Net, Pattern>(),
                     fold<Net, Pattern>(snapped(init_like_pytorch<Net>(1), Pattern)), batch);
}

template <SnapPattern<Net> Pattern>
void register_merged(int batch) {
  register_inference("merged:" + merged_chains<Net, Pattern>().front(), merge_convs<Net, Pattern>(init_like_pytorch<Net>(1)),
                     batch);
}

}  // namespace

void register_fold_benchmarks() {
  constexpr Snap keep = Snap::keep, identity = Snap::identity;
  for (const int batch : {1, 100}) {
    register_folded<SnapPattern<Net>{keep, keep, identity}>(batch);
    register_folded<SnapPattern<Net>{keep, identity, identity}>(batch);
    register_folded<SnapPattern<Net>{identity, identity, identity}>(batch);
    register_merged<SnapPattern<Net>{identity, keep, keep}>(batch);
    register_merged<SnapPattern<Net>{identity, identity, identity}>(batch);
  }
}

}  // namespace linconv::bench
