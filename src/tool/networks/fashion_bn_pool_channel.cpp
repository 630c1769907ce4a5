#include "../project_networks.hpp"

linconv::cli::NetworkOps linconv::tool::fashion_bn_pool_channel() { return cli::network_ops<FashionBnPool::channel>(); }
