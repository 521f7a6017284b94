#pragma once
// A build context as a tar stream that is produced as it is read: each read() writes
// just enough of the archive (one header, or one chunk of one file) to fill the caller's
// buffer, so memory stays at about one chunk however large the context is.
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "task/error.hpp"

namespace task::docker {

class ContextTar {
 public:
  static constexpr std::size_t kDefaultChunk = 64 * 1024;

  // `entries` are paths relative to `root`, as list_context_files gives them.
  static Result<ContextTar> open(const std::filesystem::path& root,
                                 std::vector<std::string> entries,
                                 std::size_t chunk_size = kDefaultChunk);

  ContextTar(ContextTar&&) noexcept;
  ContextTar& operator=(ContextTar&&) noexcept;
  ~ContextTar();

  // Copies the next bytes of the archive into `out`; 0 once the archive is complete.
  // Entries are written as pax/ustar: mode and mtime kept, owner root, symlinks as
  // symlinks. A file that cannot be read is Errc::io, and the archive stops there.
  Result<std::size_t> read(std::span<char> out);

  // Files made in memory, written after the directory's entries (mode 0644); an entry of
  // the same name from the directory is left out. Call before the first read.
  void add_generated(std::map<std::string, std::string> files);

  // The most archive bytes held in memory at once so far.
  std::size_t peak_buffered() const;

 private:
  struct Impl;
  explicit ContextTar(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What DockerClient::build sends: the context directory's entries under its
// .dockerignore, checked: the directory exists, and `dockerfile` is a file inside it.
struct PreparedContext {
  std::string dockerfile;  // normalised, '/'-separated, relative to the context
  ContextTar tar;
};
Result<PreparedContext> prepare_context(const std::filesystem::path& context_dir,
                                        const std::string& dockerfile,
                                        std::size_t chunk_size = ContextTar::kDefaultChunk);

}  // namespace task::docker
