#include "../project_networks.hpp"

linconv::cli::NetworkOps linconv::tool::fashion_linear() { return cli::network_ops<Fashion::linear>(); }
