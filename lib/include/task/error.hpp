#pragma once
// The one error type of libtask: every failure a user can cause comes back as a
// task::Error inside a std::expected, never as an exception, a print or an exit.
#include <array>
#include <expected>
#include <string>
#include <string_view>
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
  platform = 8,       // what runs or builds tasks is unreachable or refused: the Docker engine, an API server
  auth = 9,           // credentials are missing or were refused: a Git token, an SSH key
  interrupted = 130,  // the user pressed Ctrl-C
};

// Every exit status of task, with its meaning: the one source of `man task`'s table.
struct ExitStatus {
  int status;
  std::string_view meaning;
};
inline constexpr std::array<ExitStatus, 12> exit_statuses = {{
    {0, "Success."},
    {1, "An operation failed for a reason not listed below."},
    {2, "Usage error: unknown command, bad flag or argument."},
    {3, "Invalid input: a malformed name, task.yaml, schedule or value."},
    {4, "Not found: a template, project, build, deployment, repository, branch or file does not exist."},
    {5, "Conflict: something is in the way, such as a non-empty directory or a lock."},
    {6, "The file system refused: permissions, disk full."},
    {7, "A Git operation failed: clone, fetch, an unreachable remote."},
    {8, "The platform is unreachable or refused a request: the Docker engine, or a cluster's API server."},
    {9, "Credentials are missing or were refused: set TASK_GIT_TOKEN, or TASK_GIT_SSH_KEY, or load the SSH agent."},
    {130, "Interrupted by Ctrl-C."},
    {141, "Standard output was closed by its reader (as `task runs | head -1` does), as after SIGPIPE."},
}};

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
