#include <cstdio>
#include <exception>

#include "app.hpp"

// The one exception boundary of the front end: a library or system call that throws
// (a file system or JSON error) ends the command with a message and exit status 1, never
// with std::terminate.
int main(int argc, char** argv, char** envp) {
  try {
    return cli::run_app(argc, argv, envp);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "task: internal error: %s\nhint: this is a bug in task; please report it with the command that caused it\n",
                 e.what());
  } catch (...) {
    std::fprintf(stderr, "task: internal error\n");
  }
  return 1;
}
