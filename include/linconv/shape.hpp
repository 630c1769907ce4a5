#pragma once
// Compile-time vocabulary of the static graph: Shape (a layer's C,H,W extent, a structural type
// usable as a template argument) and FixedString (constexpr text for architecture strings and
// tensor names).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace linconv {

// Extent of one image's activations. A vector of N features is Shape{N} = {N, 1, 1}.
struct Shape {
  int c = 1;
  int h = 1;
  int w = 1;
  constexpr int size() const { return c * h * w; }
  friend constexpr bool operator==(const Shape&, const Shape&) = default;
};

// A constexpr string of at most N characters (N includes no terminator).
template <std::size_t N>
struct FixedString {
  std::array<char, N> chars{};
  std::size_t length = 0;

  constexpr FixedString() = default;
  constexpr FixedString(const char (&text)[N + 1]) : length(N) {  // NOLINT: implicit by design
    for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
  }
  constexpr std::string_view view() const { return {chars.data(), length}; }
  constexpr operator std::string_view() const { return view(); }  // NOLINT
};
template <std::size_t N>
FixedString(const char (&)[N]) -> FixedString<N - 1>;

// Concatenation into a string with room for both.
template <std::size_t A, std::size_t B>
constexpr FixedString<A + B> operator+(const FixedString<A>& a, const FixedString<B>& b) {
  FixedString<A + B> out;
  for (std::size_t i = 0; i < a.length; ++i) out.chars[out.length++] = a.chars[i];
  for (std::size_t i = 0; i < b.length; ++i) out.chars[out.length++] = b.chars[i];
  return out;
}
template <std::size_t A, std::size_t B>
constexpr auto operator+(const FixedString<A>& a, const char (&b)[B]) { return a + FixedString<B - 1>(b); }
template <std::size_t A, std::size_t B>
constexpr auto operator+(const char (&a)[A], const FixedString<B>& b) { return FixedString<A - 1>(a) + b; }

// Decimal text of a non-negative int (at most 11 characters).
constexpr FixedString<11> to_fixed_string(int value) {
  FixedString<11> out;
  std::array<char, 11> digits{};
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (n > 0) out.chars[out.length++] = digits[--n];
  return out;
}

// FNV-1a, 64 bit: the architecture hash stored in checkpoints.
constexpr std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (char ch : text) {
    hash ^= static_cast<unsigned char>(ch);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace linconv
