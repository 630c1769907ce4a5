#include "../project_networks.hpp"

linconv::cli::NetworkOps linconv::tool::fashion_bn_pool_relu() { return cli::network_ops<FashionBnPool::relu>(); }
