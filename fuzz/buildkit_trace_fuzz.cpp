// libFuzzer target for the BuildKit trace decoder (lib/src/docker/buildkit_trace.cpp): it
// reads protobuf bytes the engine sends during a build. Any input: no crash, no read past
// the end (AddressSanitizer), no hang; what it decodes has no more entries than bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "docker/buildkit_trace.hpp"
#include "require.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto trace = task::docker::decode_trace(payload);
  if (trace) {
    require(trace->vertexes.size() + trace->statuses.size() + trace->logs.size() <= size);
  }
  return 0;
}
