#include "../project_networks.hpp"

extern template struct linconv::cli::FoldedForms<linconv::tool::FashionBnPool::alpha>;  // fashion_bn_pool_alpha_folded.cpp

linconv::cli::NetworkOps linconv::tool::fashion_bn_pool_alpha() { return cli::network_ops<FashionBnPool::alpha>(); }
