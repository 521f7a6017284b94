// libFuzzer target for a template's manifest (template.yaml, lib/src/scaffold/templates.cpp):
// templates may come from a directory the user points TASK_TEMPLATES at. The input is
// written as the manifest of a template directory holding one file, `run.sh`. Traps when
// a failure has no message or does not name the manifest, or when an accepted manifest
// lists a file outside the template or one that is not there.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "task/scaffold.hpp"
#include "require.hpp"

namespace fs = std::filesystem;

namespace {
const fs::path& template_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("task-template-fuzz-" + std::to_string(::getpid())) / "probe";
    fs::create_directories(d);
    std::ofstream(d / "run.sh") << "#!/bin/sh\n";
    return d;
  }();
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path& dir = template_dir();
  {
    std::ofstream out(dir / "template.yaml", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto info = task::read_template_manifest(dir);
  if (!info) {
    require(!info.error().message.empty());
    require(info.error().message.find("template.yaml") != std::string::npos);
    return 0;
  }
  require(!info->files.empty());
  for (const auto& file : info->files) {
    require(!file.empty() && file[0] != '/' && !file.starts_with(".."));
    require(fs::exists(dir / file));
  }
  return 0;
}
