// The 27 folded forms of fashion_alpha.cpp's network, compiled beside it.
#include "../project_networks.hpp"

template struct linconv::cli::FoldedForms<linconv::tool::Fashion::alpha>;
