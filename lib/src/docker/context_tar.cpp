#include "docker/context_tar.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>
#include <system_error>

#include "task/build_context.hpp"
#include "core/release.hpp"

namespace task::docker {
namespace fs = std::filesystem;

namespace {

using ArchiveWriter = std::unique_ptr<archive, Release<archive_write_free>>;
using ArchiveEntry = std::unique_ptr<archive_entry, Release<archive_entry_free>>;

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~FileDescriptor() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Error io_error(const fs::path& path, const std::string& what, int error_number) {
  return Error{Errc::io, "cannot " + what + " " + path.string() + ": " + std::strerror(error_number),
               "fix its permissions, or exclude it in .dockerignore"};
}

}  // namespace

struct ContextTar::Impl {
  fs::path root;
  std::vector<std::string> entries;
  std::size_t next_entry = 0;
  std::vector<char> output;  // archive bytes not yet handed out
  std::size_t output_pos = 0;
  std::size_t peak = 0;
  std::vector<char> chunk;
  FileDescriptor file;  // the regular file whose data is being written
  fs::path file_path;
  std::int64_t file_remaining = 0;
  bool closed = false;
  std::map<std::string, std::string> generated;  // written after `entries`
  std::map<std::string, std::string>::const_iterator next_generated;
  bool generated_started = false;
  std::optional<Error> failure;
  ArchiveWriter writer;  // last: destroyed first, while `output` still exists

  ~Impl() { writer.reset(); }

  static la_ssize_t collect(struct archive*, void* self, const void* data, size_t size) {
    auto* impl = static_cast<Impl*>(self);
    const auto* bytes = static_cast<const char*>(data);
    impl->output.insert(impl->output.end(), bytes, bytes + size);
    impl->peak = std::max(impl->peak, impl->output.size());
    return static_cast<la_ssize_t>(size);
  }

  Error archive_failure(const std::string& what) const {
    const char* detail = archive_error_string(writer.get());
    return Error{Errc::io, what + ": " + (detail ? detail : "unknown libarchive error"), {}};
  }

  // Writes the next piece of the archive into `output`.
  Result<void> step() {
    if (file) return write_file_chunk();
    if (next_entry < entries.size()) {
      const std::string& name = entries[next_entry++];
      if (generated.contains(name)) return {};  // replaced by a generated file
      return write_header(name);
    }
    if (!generated_started) {
      generated_started = true;
      next_generated = generated.begin();
    }
    if (next_generated != generated.end()) {
      const auto& [name, content] = *next_generated++;
      return write_generated(name, content);
    }
    if (!closed) {
      closed = true;
      if (archive_write_close(writer.get()) != ARCHIVE_OK) {
        return std::unexpected(archive_failure("cannot finish the build context archive"));
      }
    }
    return {};
  }

  Result<void> write_header(const std::string& relative) {
    const fs::path path = root / relative;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return std::unexpected(io_error(path, "stat", errno));
    FileDescriptor fd;
    if (S_ISREG(st.st_mode)) {
      fd = FileDescriptor(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      // The descriptor's own metadata is what gets read, whatever happened to the name.
      if (!fd || ::fstat(fd.get(), &st) != 0) return std::unexpected(io_error(path, "open", errno));
      if (!S_ISREG(st.st_mode)) return std::unexpected(io_error(path, "read", EINVAL));
    } else if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
      return {};  // became a socket or device since the walk: left out, as in the walk
    }
    ArchiveEntry entry(archive_entry_new());
    std::string name = relative;
    if (S_ISDIR(st.st_mode)) name += '/';
    // Names are the file system's bytes, whatever the locale: libarchive writes names
    // it cannot convert to UTF-8 raw, under a pax "hdrcharset=BINARY" record.
    archive_entry_copy_pathname(entry.get(), name.c_str());
    archive_entry_set_perm(entry.get(), static_cast<mode_t>(st.st_mode & 07777));
    archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    if (S_ISREG(st.st_mode)) {
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_size(entry.get(), st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      archive_entry_set_filetype(entry.get(), AE_IFDIR);
    } else {
      std::error_code ec;
      const fs::path target = fs::read_symlink(path, ec);
      if (ec) return std::unexpected(io_error(path, "read the link", ec.value()));
      archive_entry_set_filetype(entry.get(), AE_IFLNK);
      archive_entry_copy_symlink(entry.get(), target.c_str());
    }
    if (archive_write_header(writer.get(), entry.get()) < ARCHIVE_WARN) {
      return std::unexpected(archive_failure("cannot add " + path.string() + " to the build context"));
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
      file = std::move(fd);
      file_path = path;
      file_remaining = st.st_size;
    }
    return {};
  }

  Result<void> write_generated(const std::string& name, const std::string& content) {
    ArchiveEntry entry(archive_entry_new());
    archive_entry_copy_pathname(entry.get(), name.c_str());
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
    if (archive_write_header(writer.get(), entry.get()) < ARCHIVE_WARN ||
        (!content.empty() && archive_write_data(writer.get(), content.data(), content.size()) < 0) ||
        archive_write_finish_entry(writer.get()) < ARCHIVE_WARN) {
      return std::unexpected(archive_failure("cannot add " + name + " to the build context"));
    }
    return {};
  }

  Result<void> write_file_chunk() {
    const std::size_t wanted =
        static_cast<std::size_t>(std::min<std::int64_t>(file_remaining, static_cast<std::int64_t>(chunk.size())));
    ssize_t got = 0;
    do {
      got = ::read(file.get(), chunk.data(), wanted);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return std::unexpected(io_error(file_path, "read", errno));
    if (got > 0) {
      if (archive_write_data(writer.get(), chunk.data(), static_cast<std::size_t>(got)) < 0) {
        return std::unexpected(archive_failure("cannot add " + file_path.string() + " to the build context"));
      }
      file_remaining -= got;
    }
    // A file that shrank while being sent is padded with zeros by libarchive, to the
    // size its header announced.
    if (got == 0 || file_remaining == 0) {
      file.reset();
      if (archive_write_finish_entry(writer.get()) < ARCHIVE_WARN) {
        return std::unexpected(archive_failure("cannot add " + file_path.string() + " to the build context"));
      }
    }
    return {};
  }
};

ContextTar::ContextTar(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ContextTar::ContextTar(ContextTar&&) noexcept = default;
ContextTar& ContextTar::operator=(ContextTar&&) noexcept = default;
ContextTar::~ContextTar() = default;

Result<ContextTar> ContextTar::open(const fs::path& root, std::vector<std::string> entries,
                                    std::size_t chunk_size) {
  auto impl = std::make_unique<Impl>();
  impl->root = root;
  impl->entries = std::move(entries);
  impl->chunk.resize(std::max<std::size_t>(chunk_size, 512));
  impl->writer.reset(archive_write_new());
  archive* writer = impl->writer.get();
  // No blocking: every write reaches collect() at once, so nothing piles up inside
  // libarchive. pax_restricted is plain ustar unless a name or size needs more.
  if (!writer || archive_write_set_format_pax_restricted(writer) != ARCHIVE_OK ||
      archive_write_add_filter_none(writer) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(writer, 0) != ARCHIVE_OK ||
      archive_write_open(writer, impl.get(), nullptr, &Impl::collect, nullptr) != ARCHIVE_OK) {
    return fail(Errc::failure, "cannot start the build context archive");
  }
  return ContextTar(std::move(impl));
}

Result<std::size_t> ContextTar::read(std::span<char> out) {
  Impl& impl = *impl_;
  if (impl.failure) return std::unexpected(*impl.failure);
  while (impl.output_pos == impl.output.size()) {
    impl.output.clear();
    impl.output_pos = 0;
    if (impl.closed) return 0;
    if (auto stepped = impl.step(); !stepped) {
      impl.failure = stepped.error();
      return std::unexpected(stepped.error());
    }
  }
  const std::size_t n = std::min(out.size(), impl.output.size() - impl.output_pos);
  std::copy_n(impl.output.data() + impl.output_pos, n, out.data());
  impl.output_pos += n;
  return n;
}

std::size_t ContextTar::peak_buffered() const { return impl_->peak; }

void ContextTar::add_generated(std::map<std::string, std::string> files) {
  for (auto& [name, content] : files) impl_->generated[name] = std::move(content);
}

Result<PreparedContext> prepare_context(const fs::path& context_dir, const std::string& dockerfile,
                                        std::size_t chunk_size) {
  std::error_code ec;
  if (!fs::is_directory(context_dir, ec)) {
    return fail(Errc::not_found, "build context " + context_dir.string() + " is not a directory",
                "check build.context in task.yaml");
  }
  const fs::path relative = fs::path(dockerfile.empty() ? "Dockerfile" : dockerfile).lexically_normal();
  const std::string normal = relative.generic_string();
  if (relative.is_absolute() || normal == "." || normal == ".." || normal.starts_with("../")) {
    return fail(Errc::invalid_input,
                "Dockerfile `" + dockerfile + "` is outside the build context " + context_dir.string(),
                "give the Dockerfile as a path inside the context directory");
  }
  if (!fs::is_regular_file(context_dir / relative, ec)) {
    return fail(Errc::not_found, "no Dockerfile at " + (context_dir / relative).string(),
                "check build.dockerfile in task.yaml");
  }
  auto ignore = DockerIgnore::load(context_dir);
  if (!ignore) return std::unexpected(ignore.error());
  auto files = list_context_files(context_dir, *ignore, normal);
  if (!files) return std::unexpected(files.error());
  auto tar = ContextTar::open(context_dir, std::move(*files), chunk_size);
  if (!tar) return std::unexpected(tar.error());
  return PreparedContext{normal, std::move(*tar)};
}

}  // namespace task::docker
