#include "../project_networks.hpp"

linconv::cli::NetworkOps linconv::tool::fashion_alpha() { return cli::network_ops<Fashion::alpha>(); }
