#include "../project_networks.hpp"

extern template struct linconv::cli::FoldedForms<linconv::tool::Fashion::alpha>;  // fashion_alpha_folded.cpp

linconv::cli::NetworkOps linconv::tool::fashion_alpha() { return cli::network_ops<Fashion::alpha>(); }
