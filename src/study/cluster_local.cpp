// The cluster of a linconv built without MPI: this process alone.
#include <string>

#include "cluster.hpp"
#include "linconv/error.hpp"

namespace linconv::cli {

Cluster::Cluster() {
  if (const int launched = launcher_size(); launched > 1) {
    // Every process gets here: the first one says why, the others exit quietly.
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    if (rank && std::atoi(rank) != 0) throw ExitStatus{2};
    throw UsageError("started by an MPI launcher with " + std::to_string(launched) +
                     " processes, but this linconv was built without MPI (install libopenmpi-dev and "
                     "rebuild); run it without mpirun and use --jobs to train several runs at once");
  }
}

Cluster::~Cluster() = default;

void Cluster::together(bool, const std::function<void()>& step) { step(); }

long Cluster::sum(long value) const { return value; }
long Cluster::max(long value) const { return value; }
std::string Cluster::broadcast(std::string text) const { return text; }

}  // namespace linconv::cli
