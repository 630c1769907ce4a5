#include "../project_networks.hpp"

linconv::cli::NetworkOps linconv::tool::fashion_channel() { return cli::network_ops<Fashion::channel>(); }
