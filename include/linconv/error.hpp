#pragma once
// The one exception type linconv throws for bad input (files, flags, checkpoints). Its message
// is a single line naming the file or flag and what was wrong; the CLI prints it after
// "linconv: error: " and exits 1 (2 for UsageError).
#include <stdexcept>
#include <string>

namespace linconv {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Bad command-line usage: exit status 2.
struct UsageError : Error {
  using Error::Error;
};

}  // namespace linconv
