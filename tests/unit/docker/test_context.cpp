// The build context: which files go, and the tar they go in.
#include <doctest/doctest.h>

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "docker/context_tar.hpp"
#include "task/build_context.hpp"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "task-context-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  void write(const std::string& relative, const std::string& content, fs::perms mode = fs::perms(0644)) const {
    const fs::path file = path / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    fs::permissions(file, mode);
  }
};

struct TarEntry {
  std::string type;  // "file", "dir", "symlink"
  unsigned mode = 0;
  std::int64_t uid = -1, gid = -1;
  std::string content;  // file data or link target
};

// Reads a whole tar back with libarchive, in order of appearance.
std::vector<std::pair<std::string, TarEntry>> read_tar(const std::string& bytes) {
  std::vector<std::pair<std::string, TarEntry>> entries;
  archive* reader = archive_read_new();
  archive_read_support_format_tar(reader);
  REQUIRE(archive_read_open_memory(reader, bytes.data(), bytes.size()) == ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(reader, &entry) == ARCHIVE_OK) {
    TarEntry out;
    const auto type = archive_entry_filetype(entry);
    out.type = type == AE_IFREG ? "file" : type == AE_IFDIR ? "dir" : type == AE_IFLNK ? "symlink" : "other";
    out.mode = static_cast<unsigned>(archive_entry_perm(entry));
    out.uid = archive_entry_uid(entry);
    out.gid = archive_entry_gid(entry);
    if (type == AE_IFLNK) out.content = archive_entry_symlink(entry);
    char buffer[8192];
    la_ssize_t got = 0;
    while ((got = archive_read_data(reader, buffer, sizeof buffer)) > 0) {
      out.content.append(buffer, static_cast<std::size_t>(got));
    }
    entries.emplace_back(archive_entry_pathname(entry), out);
  }
  archive_read_free(reader);
  return entries;
}

// Drains a ContextTar in reads of `step` bytes.
std::string drain(task::docker::ContextTar& tar, std::size_t step) {
  std::string bytes;
  std::vector<char> buffer(step);
  while (true) {
    auto got = tar.read(buffer);
    REQUIRE(got.has_value());
    if (*got == 0) break;
    bytes.append(buffer.data(), *got);
  }
  return bytes;
}

std::string pseudo_random(std::size_t size) {
  std::string data(size, '\0');
  std::uint32_t state = 12345;
  for (char& c : data) {
    state = state * 1103515245u + 12345u;
    c = static_cast<char>(state >> 16);
  }
  return data;
}

}  // namespace

TEST_CASE("list_context_files walks in order and applies .dockerignore") {
  TempDir ctx;
  ctx.write("Dockerfile", "FROM scratch\n");
  ctx.write(".dockerignore",
            "secret.txt\nnode_modules\n!node_modules/pkg/package.json\ndocs\n!docs/README.md\n"
            "**/*_test.go\n");
  ctx.write("app/main.go", "package main\n");
  ctx.write("app/main_test.go", "package main\n");
  ctx.write("app/vendor/lib.go", "package lib\n");
  ctx.write("docs/README.md", "# docs\n");
  ctx.write("docs/guide.md", "guide\n");
  ctx.write("node_modules/pkg/index.js", "x\n");
  ctx.write("node_modules/pkg/package.json", "{}\n");
  ctx.write("node_modules/other/package.json", "{}\n");
  ctx.write("secret.txt", "hunter2\n");
  fs::create_directory(ctx.path / "empty");
  fs::create_directory_symlink("app", ctx.path / "link");
  REQUIRE(::mkfifo((ctx.path / "pipe").c_str(), 0600) == 0);

  auto ignore = task::DockerIgnore::load(ctx.path);
  REQUIRE(ignore.has_value());
  auto files = task::list_context_files(ctx.path, *ignore);
  REQUIRE(files.has_value());
  const std::vector<std::string> expected = {
      ".dockerignore", "Dockerfile", "app", "app/main.go", "app/vendor", "app/vendor/lib.go",
      "docs/README.md", "empty", "link", "node_modules/pkg/package.json"};
  CHECK(*files == expected);
}

namespace {

// Lists the context as an unprivileged user (root reads any directory), in a child
// process: 0 when the listing worked, 1 when it failed with an io error.
int list_unprivileged(const fs::path& context) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    auto ignore = task::DockerIgnore::load(context);
    if (!ignore) ::_exit(2);
    auto files = task::list_context_files(context, *ignore);
    ::_exit(files ? 0 : files.error().code == task::Errc::io ? 1 : 2);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("an excluded directory is not entered unless an exception reaches inside") {
  TempDir ctx;
  fs::permissions(ctx.path, fs::perms(0755));
  ctx.write("Dockerfile", "FROM scratch\n");
  ctx.write("locked/file", "x");
  fs::permissions(ctx.path / "locked", fs::perms::none);
  ctx.write(".dockerignore", "locked\n");
  CHECK(list_unprivileged(ctx.path) == 0);
  // The same tree fails to list when the walk has to look inside.
  ctx.write(".dockerignore", "locked\n!locked/file\n");
  CHECK(list_unprivileged(ctx.path) == 1);
  ctx.write(".dockerignore", "locked\n!**/file\n");
  CHECK(list_unprivileged(ctx.path) == 1);
  ctx.write(".dockerignore", "locked\n!other/file\n");
  CHECK(list_unprivileged(ctx.path) == 0);
  fs::permissions(ctx.path / "locked", fs::perms(0755));
}

TEST_CASE("the Dockerfile and .dockerignore are always sent") {
  TempDir ctx;
  ctx.write("build/Dockerfile", "FROM scratch\n");
  ctx.write("build/other", "x\n");
  ctx.write(".dockerignore", "*\n");
  ctx.write("src/a.c", "int x;\n");
  auto ignore = task::DockerIgnore::load(ctx.path);
  REQUIRE(ignore.has_value());
  auto files = task::list_context_files(ctx.path, *ignore, "build/Dockerfile");
  REQUIRE(files.has_value());
  CHECK(*files == std::vector<std::string>{".dockerignore", "build/Dockerfile"});
}

TEST_CASE("a missing .dockerignore excludes nothing; a bad one names file and line") {
  TempDir ctx;
  auto none = task::DockerIgnore::load(ctx.path);
  REQUIRE(none.has_value());
  CHECK(none->patterns().empty());
  ctx.write(".dockerignore", "# fine\nok\n[oops\n");
  auto bad = task::DockerIgnore::load(ctx.path);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == task::Errc::invalid_input);
  CHECK(bad.error().message.find((ctx.path / ".dockerignore").string() + ":3:") == 0);
}

TEST_CASE("the context tar holds the kept files with their modes, owned by root") {
  TempDir ctx;
  const std::string big = pseudo_random(300 * 1024 + 17);
  ctx.write("Dockerfile", "FROM scratch\nCOPY . /\n");
  ctx.write(".dockerignore", "secret.txt\nbig-dir\n*.log\n");
  ctx.write("run.sh", "#!/bin/sh\necho hi\n", fs::perms(0755));
  ctx.write("private.key", "k", fs::perms(0600));
  ctx.write("data/blob.bin", big);
  ctx.write("data/empty.txt", "");
  ctx.write("secret.txt", "hunter2");
  ctx.write("debug.log", "noise");
  ctx.write("big-dir/huge.bin", pseudo_random(1024));
  const std::string long_name = std::string(120, 'n') + "/" + std::string(90, 'f') + ".txt";
  ctx.write(long_name, "deep");
  ctx.write("caf\xC3\xA9.txt", "utf-8 name");
  ctx.write("raw\xFFname", "not utf-8");
  fs::create_symlink("../run.sh", ctx.path / "data" / "link");

  auto prepared = task::docker::prepare_context(ctx.path, "Dockerfile", 4096);
  REQUIRE(prepared.has_value());
  CHECK(prepared->dockerfile == "Dockerfile");
  const std::string bytes = drain(prepared->tar, 1000);
  CHECK(bytes.size() % 512 == 0);
  // One chunk of file data plus a header or two: never the whole context.
  CHECK(prepared->tar.peak_buffered() <= 4096 + 4096);

  const auto entries = read_tar(bytes);
  std::map<std::string, TarEntry> by_name(entries.begin(), entries.end());
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries) names.push_back(name);
  const std::vector<std::string> expected = {".dockerignore", "Dockerfile", "caf\xC3\xA9.txt", "data/",
                                             "data/blob.bin", "data/empty.txt", "data/link",
                                             std::string(120, 'n') + "/", long_name, "private.key",
                                             "raw\xFFname", "run.sh"};
  CHECK(names == expected);
  CHECK(by_name.count("secret.txt") == 0);
  CHECK(by_name.count("debug.log") == 0);
  CHECK(by_name.count("big-dir/") == 0);
  CHECK(by_name["run.sh"].mode == 0755);
  CHECK(by_name["run.sh"].content == "#!/bin/sh\necho hi\n");
  CHECK(by_name["private.key"].mode == 0600);
  CHECK(by_name["data/"].type == "dir");
  CHECK(by_name["data/blob.bin"].content == big);
  CHECK(by_name["data/empty.txt"].content.empty());
  CHECK(by_name["data/link"].type == "symlink");
  CHECK(by_name["data/link"].content == "../run.sh");
  CHECK(by_name[long_name].content == "deep");
  CHECK(by_name["caf\xC3\xA9.txt"].content == "utf-8 name");
  CHECK(by_name["raw\xFFname"].content == "not utf-8");
  for (const auto& [name, entry] : entries) {
    CAPTURE(name);
    CHECK(entry.uid == 0);
    CHECK(entry.gid == 0);
  }
}

TEST_CASE("reads of any size give the same archive") {
  TempDir ctx;
  ctx.write("Dockerfile", "FROM scratch\n");
  ctx.write("a.bin", pseudo_random(70000));
  auto first = task::docker::prepare_context(ctx.path, "Dockerfile", 1024);
  auto second = task::docker::prepare_context(ctx.path, "Dockerfile");
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  const std::string small_reads = drain(first->tar, 7);
  const std::string large_reads = drain(second->tar, 1 << 20);
  CHECK(small_reads == large_reads);
  CHECK(first->tar.peak_buffered() <= 1024 + 1024);
}

TEST_CASE("the Dockerfile must be a file inside the context") {
  TempDir ctx;
  ctx.write("Dockerfile", "FROM scratch\n");
  ctx.write("sub/Dockerfile.dev", "FROM scratch\n");
  for (const char* outside : {"../Dockerfile", "sub/../../Dockerfile", "/etc/passwd", ".", ".."}) {
    CAPTURE(outside);
    auto prepared = task::docker::prepare_context(ctx.path, outside);
    REQUIRE_FALSE(prepared.has_value());
    CHECK(prepared.error().code == task::Errc::invalid_input);
  }
  auto nested = task::docker::prepare_context(ctx.path, "./sub/../sub/Dockerfile.dev");
  REQUIRE(nested.has_value());
  CHECK(nested->dockerfile == "sub/Dockerfile.dev");

  auto missing = task::docker::prepare_context(ctx.path, "Dockerfile.prod");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == task::Errc::not_found);

  auto no_context = task::docker::prepare_context(ctx.path / "nope", "Dockerfile");
  REQUIRE_FALSE(no_context.has_value());
  CHECK(no_context.error().code == task::Errc::not_found);
}

TEST_CASE("a file that cannot be read stops the archive with an io error") {
  TempDir ctx;
  ctx.write("Dockerfile", "FROM scratch\n");
  auto tar = task::docker::ContextTar::open(ctx.path, {"Dockerfile", "vanished.txt"});
  REQUIRE(tar.has_value());
  std::vector<char> buffer(4096);
  task::Result<std::size_t> got = 0;
  do {
    got = tar->read(buffer);
  } while (got && *got > 0);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().code == task::Errc::io);
  CHECK(got.error().message.find("vanished.txt") != std::string::npos);
  // It stays failed.
  CHECK_FALSE(tar->read(buffer).has_value());
}
