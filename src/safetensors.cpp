// safetensors reader and writer for F32 and I64 tensors (format: include/linconv/safetensors.hpp).
#include "linconv/safetensors.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <system_error>
#include <tuple>
#include <utility>
#include <nlohmann/json.hpp>

#include "linconv/atomic_file.hpp"
#include "linconv/error.hpp"

namespace linconv {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors is little-endian; values and the header length are copied as is");

using Json = nlohmann::json;
constexpr std::uint64_t max_header_bytes = 100'000'000;

// `text` as a JSON string literal: quoted, control characters escaped, so messages stay one line.
std::string quote(std::string_view text) {
  return Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A JSON value for an error message: at most 60 characters, one line.
std::string excerpt(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  return text.size() <= 60 ? text : text.substr(0, 57) + "...";
}

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
  throw Error(quote(file.string()) + ": " + what);
}

std::string errno_text() { return std::generic_category().message(errno); }

std::size_t element_size(DType dtype) {
  return dtype == DType::i64 ? sizeof(std::int64_t) : sizeof(float);
}

// Number of elements of `shape` (1 for the rank-0 shape []), nullopt when a dimension is negative
// or the byte size at `bytes_per_element` would overflow 64 bits.
std::optional<std::uint64_t> element_count(std::span<const std::int64_t> shape,
                                           std::size_t bytes_per_element) {
  const std::uint64_t max_count = std::numeric_limits<std::uint64_t>::max() / bytes_per_element;
  std::uint64_t count = 1;
  for (const std::int64_t dim : shape) {
    if (dim < 0) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(dim);
    if (d != 0 && count > max_count / d) return std::nullopt;
    count *= d;
  }
  return count;
}

void check_finite(const std::filesystem::path& file, const std::string& name,
                  std::span<const float> values) {
  const auto bad = std::ranges::find_if(values, [](float v) { return !std::isfinite(v); });
  if (bad == values.end()) return;
  fail(file, "tensor " + quote(name) + " holds " + (std::isnan(*bad) ? "a NaN" : "an infinity") +
                 " at index " + std::to_string(bad - values.begin()));
}

std::string read_all(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(file, "cannot open: " + errno_text());
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string reason = errno_text();
      ::close(fd);
      fail(file, "cannot read: " + reason);
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return bytes;
}

// The header's JSON; refuses a key repeated within one object (nlohmann would keep the last),
// and nesting deeper than a header needs (a deep value would exhaust the stack when printed).
Json parse_header(const std::filesystem::path& file, std::string_view text) {
  constexpr int max_depth = 8;  // a header needs 3: {name: {"shape": [...]}}
  std::vector<std::set<std::string>> keys;  // the keys seen in each object being parsed
  const auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > max_depth)
      fail(file, "header JSON nests deeper than " + std::to_string(max_depth) + " levels");
    if (event == Json::parse_event_t::object_start) keys.emplace_back();
    if (event == Json::parse_event_t::object_end) keys.pop_back();
    if (event == Json::parse_event_t::key && !keys.back().insert(parsed.get<std::string>()).second)
      fail(file, "header JSON has the key " + excerpt(parsed) + " twice");
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), callback);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    fail(file, std::string("header is not valid JSON: ") + e.what());
  }
}

std::map<std::string, std::string> parse_metadata(const std::filesystem::path& file,
                                                  const Json& value) {
  if (!value.is_object())
    fail(file, std::string("expected \"__metadata__\" to be an object of strings, found ") +
                   value.type_name());
  std::map<std::string, std::string> metadata;
  for (const auto& [key, text] : value.items()) {
    if (!text.is_string())
      fail(file, "expected \"__metadata__\" entry " + quote(key) + " to be a string, found " +
                     excerpt(text));
    metadata.emplace(key, text.get<std::string>());
  }
  return metadata;
}

struct Placed {
  Tensor tensor;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

// `bytes` copied into `out` as `count` elements (the host is little-endian, like the file).
template <class T>
void copy_elements(std::vector<T>& out, std::uint64_t count, std::string_view bytes) {
  out.resize(count);
  if (count > 0) std::memcpy(out.data(), bytes.data(), bytes.size());
}

// One header entry, checked against the data buffer, with its elements.
Placed parse_tensor(const std::filesystem::path& file, const std::string& name, const Json& entry,
                    std::string_view data) {
  const std::string tensor = "tensor " + quote(name) + ": ";
  if (!entry.is_object())
    fail(file, tensor + "expected an object with dtype, shape and data_offsets, found " +
                   entry.type_name());
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!entry.contains(key)) fail(file, tensor + "missing \"" + key + "\"");

  const Json& dtype_json = entry["dtype"];
  DType dtype = DType::f32;
  if (dtype_json == "I64")
    dtype = DType::i64;
  else if (dtype_json != "F32")
    fail(file, tensor + "expected dtype \"F32\" or \"I64\", found " + excerpt(dtype_json));
  const std::size_t bytes_per_element = element_size(dtype);

  const auto is_index = [](const Json& v) {  // an integer in [0, INT64_MAX]
    return v.is_number_unsigned() &&
           v.get<std::uint64_t>() <= std::uint64_t{std::numeric_limits<std::int64_t>::max()};
  };
  const Json& shape = entry["shape"];
  if (!shape.is_array() || !std::ranges::all_of(shape, is_index))
    fail(file, tensor + "expected shape as an array of non-negative integers, found " +
                   excerpt(shape));
  Placed placed{{name, shape.get<std::vector<std::int64_t>>(), {}, dtype}};
  const std::optional<std::uint64_t> count = element_count(placed.tensor.shape, bytes_per_element);
  if (!count) fail(file, tensor + "shape " + excerpt(shape) + " has too many elements");

  const Json& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !std::ranges::all_of(offsets, is_index) ||
      offsets[0].get<std::uint64_t>() > offsets[1].get<std::uint64_t>())
    fail(file, tensor + "expected data_offsets as two integers [begin, end] with 0 <= begin <= "
                        "end, found " + excerpt(offsets));
  placed.begin = offsets[0].get<std::uint64_t>();
  placed.end = offsets[1].get<std::uint64_t>();
  if (placed.end - placed.begin != *count * bytes_per_element)
    fail(file, tensor + "expected " + std::to_string(*count * bytes_per_element) + " bytes for " +
                   std::string(dtype_name(dtype)) + " shape " + excerpt(shape) +
                   ", found data_offsets " + excerpt(offsets) + " spanning " +
                   std::to_string(placed.end - placed.begin));
  if (placed.end > data.size())
    fail(file, tensor + "data_offsets " + excerpt(offsets) + " extend past the " +
                   std::to_string(data.size()) + "-byte data buffer");

  const std::string_view bytes = data.substr(placed.begin, placed.end - placed.begin);
  if (dtype == DType::i64) {
    copy_elements(placed.tensor.integers, *count, bytes);
  } else {
    copy_elements(placed.tensor.values, *count, bytes);
    check_finite(file, name, placed.tensor.values);
  }
  return placed;
}

// The bytes of the view's elements, of its dtype.
std::span<const std::byte> element_bytes(const TensorView& t) {
  return t.dtype == DType::i64 ? std::as_bytes(t.integers) : std::as_bytes(t.values);
}

// The header, compact and padded with spaces to a multiple of 8 bytes, as the reference writer
// lays it out: "__metadata__" first (when not empty), then the tensors in data order.
std::string make_header(const std::filesystem::path& file, std::span<const TensorView> tensors,
                        const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const TensorView& t : tensors) {
    const std::string tensor = "tensor " + quote(t.name) + ": ";
    if (t.name == "__metadata__" || header.contains(t.name))
      fail(file, tensor + "name is reserved or already used");
    if (t.dtype != DType::f32 && t.dtype != DType::i64)
      fail(file, tensor + "unknown dtype " + std::to_string(static_cast<int>(t.dtype)));
    const bool integral = t.dtype == DType::i64;
    if (integral ? !t.values.empty() : !t.integers.empty())
      fail(file, tensor + "dtype " + std::string(dtype_name(t.dtype)) + " but " +
                     (integral ? std::to_string(t.values.size()) + " float values"
                               : std::to_string(t.integers.size()) + " integers") +
                     " given");
    const std::size_t given = integral ? t.integers.size() : t.values.size();
    const std::optional<std::uint64_t> count = element_count(t.shape, element_size(t.dtype));
    if (count != given)
      fail(file, tensor + "shape " + Json(t.shape).dump() + " does not fit its " +
                     std::to_string(given) + (integral ? " integers" : " values"));
    if (!integral) check_finite(file, t.name, t.values);
    const std::uint64_t end = offset + element_bytes(t).size();
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, end}}};
    offset = end;
  }
  try {
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    return text;
  } catch (const Json::type_error&) {
    fail(file, "tensor names and metadata must be valid UTF-8");
  }
}

}  // namespace

const Tensor* SafetensorsFile::find(std::string_view name) const {
  const auto it = std::ranges::find(tensors, name, &Tensor::name);
  return it == tensors.end() ? nullptr : &*it;
}

StagedFile stage_safetensors(const std::filesystem::path& file, std::span<const TensorView> tensors,
                             const std::map<std::string, std::string>& metadata) {
  const std::string header = make_header(file, tensors, metadata);
  const std::uint64_t length = header.size();
  std::vector<std::span<const std::byte>> parts{std::as_bytes(std::span(&length, 1)),
                                                std::as_bytes(std::span(header))};
  for (const TensorView& t : tensors) parts.push_back(element_bytes(t));
  return StagedFile(file, parts);
}

void write_safetensors(const std::filesystem::path& file, std::span<const TensorView> tensors,
                       const std::map<std::string, std::string>& metadata) {
  stage_safetensors(file, tensors, metadata).commit();
}

SafetensorsFile read_safetensors(const std::filesystem::path& file) {
  const std::string bytes = read_all(file);
  if (bytes.size() < 8)
    fail(file, "file is " + std::to_string(bytes.size()) +
                   " bytes, shorter than the 8-byte header length");
  std::uint64_t length = 0;
  std::memcpy(&length, bytes.data(), sizeof length);
  if (length > max_header_bytes)
    fail(file, "header length " + std::to_string(length) + " is absurd (limit " +
                   std::to_string(max_header_bytes) + " bytes)");
  if (length > bytes.size() - 8)
    fail(file, "header length " + std::to_string(length) + " exceeds the " +
                   std::to_string(bytes.size() - 8) + " bytes that follow it");
  const Json header = parse_header(file, std::string_view(bytes).substr(8, length));
  if (!header.is_object())
    fail(file, std::string("header is not a JSON object, found ") + header.type_name());

  const std::string_view data = std::string_view(bytes).substr(8 + length);
  SafetensorsFile result;
  std::vector<Placed> placed;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__")
      result.metadata = parse_metadata(file, entry);
    else
      placed.push_back(parse_tensor(file, name, entry, data));
  }

  // The tensors must tile the data buffer: each begins where the previous one ends.
  const auto order = [](const Placed& p) { return std::tie(p.begin, p.end, p.tensor.name); };
  std::ranges::sort(placed, {}, order);
  std::uint64_t position = 0;
  const Placed* previous = nullptr;
  for (const Placed& p : placed) {
    if (p.begin < position)
      fail(file, "tensor " + quote(p.tensor.name) + " begins at byte " + std::to_string(p.begin) +
                     ", inside tensor " + quote(previous->tensor.name) + " ending at " +
                     std::to_string(position) + ": tensors overlap");
    if (p.begin > position)
      fail(file, "bytes [" + std::to_string(position) + ", " + std::to_string(p.begin) +
                     ") of the data buffer belong to no tensor (gap before tensor " +
                     quote(p.tensor.name) + ")");
    position = p.end;
    previous = &p;
  }
  if (position != data.size())
    fail(file, "bytes [" + std::to_string(position) + ", " + std::to_string(data.size()) +
                   ") of the data buffer belong to no tensor");

  for (Placed& p : placed) result.tensors.push_back(std::move(p.tensor));
  return result;
}

}  // namespace linconv
