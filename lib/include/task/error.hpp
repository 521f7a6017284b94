#pragma once
// The one error type of libtask: every failure a user can cause comes back as a
// task::Error inside a std::expected, never as an exception, a print or an exit.
#include <expected>
#include <string>
#include <utility>

namespace task {

// Each code is a process exit status; `man task` documents them. Keep them stable.
enum class Errc : int {
  failure = 1,        // an operation failed for a reason not listed below
  usage = 2,          // bad flags or arguments on the command line
  invalid_input = 3,  // a value was malformed: a name, task.yaml, a schedule
  not_found = 4,      // a template, project, build or deployment does not exist
  conflict = 5,       // something is in the way: a non-empty directory, a lock
  io = 6,             // the file system refused: permissions, disk full
  git = 7,            // a Git operation failed: clone, fetch, an unreachable remote
  docker = 8,         // the Docker engine is unreachable or refused a request
  auth = 9,           // credentials are missing or were refused: a Git token, an SSH key
  interrupted = 130,  // the user pressed Ctrl-C
};

struct Error {
  Errc code = Errc::failure;
  std::string message;  // what went wrong and where: "task.yaml:3:5: unknown key `nmae`"
  std::string hint;     // what to do about it; may be empty
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Errc code, std::string message, std::string hint = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(hint)});
}

}  // namespace task
