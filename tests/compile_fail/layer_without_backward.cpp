// A user's layer that forgets its backward pass fails at the layer, naming the missing member,
// not deep inside the engine.
// expect: LAYER_LACKS_MEMBER<1, linconv::layer_member::backward>
#include <linconv/linconv.hpp>

// Doubles its input.
struct Twice {
  template <std::size_t Index, linconv::Shape In>
  struct bind : linconv::LayerBase<In> {
    static constexpr std::string_view kind = "twice";
    static constexpr auto name = linconv::FixedString("Twice");
    static constexpr linconv::Shape out = In;
    static constexpr std::array<linconv::ParamTensor, 0> tensors{};
    static constexpr std::size_t param_count = 0;
    static void forward(const linconv::LayerTensors&, linconv::Images<In> x, linconv::ImagesOut<In> y,
                        const linconv::Context&) {
      for (std::size_t i = 0; i < x.size(); ++i) y.data[i] = 2 * x.data[i];
    }
#ifndef LINCONV_COMPILE_FAIL
    static void backward(const linconv::LayerTensors&, linconv::Images<In>, linconv::Images<In>,
                         linconv::Images<In> dy, linconv::ImagesOut<In> dx, const linconv::Context&) {
      if (dx)
        for (std::size_t i = 0; i < dy.size(); ++i) dx.data[i] = 2 * dy.data[i];
    }
#endif
  };
};

using Net = linconv::Sequential<linconv::Input<1, 28, 28>, linconv::Conv<8, 5, 1, 2>, Twice, linconv::Flatten,
                                linconv::Dense<10>>;

int main() { return Net::output_shape.size() == 10 ? 0 : 1; }
