#include "../project_networks.hpp"

linconv::cli::NetworkOps linconv::tool::fashion_bn_pool_linear() { return cli::network_ops<FashionBnPool::linear>(); }
