#pragma once
// The processes that share one sweep: this process alone, or the ranks of an MPI job when
// linconv is built with MPI and started by mpirun. Only the calling (main) thread talks to MPI.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <string>

#include "commands.hpp"  // ExitStatus

namespace linconv::cli {

// The number of processes an MPI launcher started (OpenMPI's mpirun, or a PMI/PMIx launcher
// such as MPICH's or Slurm's), 1 when none did.
inline int launcher_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* value = std::getenv(name); value && *value) return std::max(1, std::atoi(value));
  return 1;
}

class Cluster {
 public:
  // Joins the MPI job when an MPI launcher started this process; a single process otherwise.
  // Refuses to run under a launcher with several processes when built without MPI, since each
  // process would then run the whole sweep into the same directory.
  Cluster();
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // The ranks on this machine (they share its cores).
  int local_size() const { return local_size_; }

  // Runs `step` on rank 0 only (`everywhere` false) or on every rank, then lets every rank know
  // whether it failed anywhere. When it did, the lowest failing rank rethrows its exception
  // (main prints it) and the others throw ExitStatus with the same exit status.
  void together(bool everywhere, const std::function<void()>& step);

  // The sum and the maximum over all ranks.
  long sum(long value) const;
  long max(long value) const;
  // Rank 0's text, on every rank.
  std::string broadcast(std::string text) const;

 private:
  int rank_ = 0, size_ = 1, local_size_ = 1;
  bool mpi_ = false;
};

}  // namespace linconv::cli
