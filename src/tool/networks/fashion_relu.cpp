#include "../project_networks.hpp"

linconv::cli::NetworkOps linconv::tool::fashion_relu() { return cli::network_ops<Fashion::relu>(); }
