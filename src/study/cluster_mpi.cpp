// The cluster of a linconv built with MPI: the ranks of the job when mpirun started it.
#include <mpi.h>

#include <exception>
#include <string>

#include "cluster.hpp"
#include "linconv/error.hpp"

namespace linconv::cli {

Cluster::Cluster() {
  // Without a launcher the process stays alone: MPI_Init would start a singleton MPI runtime
  // for nothing.
  if (launcher_size() == 1) return;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  mpi_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm machine;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &machine);
  MPI_Comm_size(machine, &local_size_);
  MPI_Comm_free(&machine);
}

Cluster::~Cluster() {
  if (mpi_) MPI_Finalize();
}

void Cluster::together(bool everywhere, const std::function<void()>& step) {
  std::exception_ptr error;
  int status = 0;
  if (everywhere || rank_ == 0) {
    try {
      step();
    } catch (const UsageError&) {
      error = std::current_exception();
      status = 2;
    } catch (...) {
      error = std::current_exception();
      status = 1;
    }
  }
  if (!mpi_) {
    if (error) std::rethrow_exception(error);
    return;
  }
  int first_failing = error ? rank_ : size_;
  MPI_Allreduce(MPI_IN_PLACE, &first_failing, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first_failing == size_) return;
  MPI_Bcast(&status, 1, MPI_INT, first_failing, MPI_COMM_WORLD);
  if (rank_ == first_failing) std::rethrow_exception(error);
  throw ExitStatus{status};
}

long Cluster::sum(long value) const {
  if (mpi_) MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  return value;
}

long Cluster::max(long value) const {
  if (mpi_) MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);
  return value;
}

std::string Cluster::broadcast(std::string text) const {
  if (!mpi_) return text;
  long size = long(text.size());
  MPI_Bcast(&size, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  text.resize(std::size_t(size));
  MPI_Bcast(text.data(), int(size), MPI_CHAR, 0, MPI_COMM_WORLD);
  return text;
}

}  // namespace linconv::cli
