#pragma once
// Checkpoints of a network type: safetensors files with PyTorch's names and layouts
// (CONVENTIONS.md), the parameters and the buffers (running statistics as F32, counters as I64,
// as PyTorch saves them), so that load_state_dict(strict=True) accepts them. Saving records the
// architecture string and hash and a configuration (JSON text) in __metadata__; loading checks
// every tensor against the compiled network before any value is used, and refuses a file made
// for another architecture.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "linconv/error.hpp"
#include "linconv/params.hpp"
#include "linconv/safetensors.hpp"

namespace linconv {

inline std::string hash_text(std::uint64_t hash) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

namespace detail {
inline std::string shape_text(std::span<const std::int64_t> dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(dims[i]);
  }
  return text + "]";
}
// The dtype a tensor is saved with: I64 for counters, F32 for everything else.
inline DType dtype_of(const ParamTensor& t) { return t.integer ? DType::i64 : DType::f32; }
inline std::vector<std::int64_t> dims_of(const ParamTensor& t) {
  return {t.dims.begin(), t.dims.begin() + t.rank};
}
}  // namespace detail

// Views of arrays laid out like Net's parameters (the parameters, their gradients, Adam's
// moments) as named tensors for write_safetensors: "<prefix><name>" with the tensor's shape.
inline std::vector<TensorView> tensor_views(std::span<const NetTensor> tensors, std::span<const float> values,
                                            const std::string& prefix = "") {
  std::vector<TensorView> views;
  for (const NetTensor& t : tensors)
    views.push_back({prefix + t.name(), detail::dims_of(t.tensor), values.subspan(t.offset, t.tensor.count())});
  return views;
}
template <class Net>
std::vector<TensorView> tensor_views(std::span<const float> values, const std::string& prefix = "") {
  return tensor_views(Net::tensors, values, prefix);
}

// Every tensor of a network's state: its parameters, then its buffers (F32 from `buffers`, I64
// from `counters`), each array laid out as the network's arenas.
inline std::vector<TensorView> state_views(std::span<const NetTensor> tensors, std::span<const NetTensor> buffer_tensors,
                                           std::span<const float> values, std::span<const float> buffers,
                                           std::span<const std::int64_t> counters) {
  std::vector<TensorView> views = tensor_views(tensors, values);
  for (const NetTensor& t : buffer_tensors) {
    if (t.tensor.integer)
      views.push_back(TensorView::of_integers(t.name(), detail::dims_of(t.tensor),
                                              counters.subspan(t.offset, t.tensor.count())));
    else
      views.push_back({t.name(), detail::dims_of(t.tensor), buffers.subspan(t.offset, t.tensor.count())});
  }
  return views;
}
template <class Net>
std::vector<TensorView> state_views(const Params<Net>& params) {
  return state_views(Net::tensors, Net::buffer_tensors, params.values(), params.buffers(), params.counters());
}

template <class Net>
StagedFile stage_checkpoint(const std::filesystem::path& file, const Params<Net>& params,
                            const std::string& config_json) {
  return stage_safetensors(file, state_views<Net>(params),
                           {{"architecture", std::string(Net::architecture.view())},
                            {"architecture_hash", hash_text(Net::architecture_hash)},
                            {"config", config_json}});
}
template <class Net>
void save_checkpoint(const std::filesystem::path& file, const Params<Net>& params,
                     const std::string& config_json) {
  stage_checkpoint(file, params, config_json).commit();
}

// The state of a network with these tensors and architecture from a checkpoint read from
// `file`, into arenas laid out as the tensors say: every tensor checked (name, shape, dtype, the
// sign of non-negative buffers) before it is copied, and a tensor the network lacks refused.
// Compiled once (src/checkpoint.cpp) for every network type, which params_from_checkpoint only
// describes.
void read_state(const SafetensorsFile& contents, const std::filesystem::path& file, std::string_view architecture,
                std::uint64_t architecture_hash, std::span<const NetTensor> tensors,
                std::span<const NetTensor> buffer_tensors, std::span<float> values, std::span<float> buffers,
                std::span<std::int64_t> counters);

// The parameters of Net from a checkpoint read from `file`. A file without architecture
// metadata (a PyTorch state_dict saved with safetensors) is accepted when its tensors match.
template <class Net>
Params<Net> params_from_checkpoint(const SafetensorsFile& contents, const std::filesystem::path& file) {
  Params<Net> params;
  read_state(contents, file, Net::architecture.view(), Net::architecture_hash, Net::tensors, Net::buffer_tensors,
             params.values(), params.buffers(), params.counters());
  return params;
}

template <class Net>
Params<Net> load_checkpoint(const std::filesystem::path& file) {
  return params_from_checkpoint<Net>(read_safetensors(file), file);
}

}  // namespace linconv
