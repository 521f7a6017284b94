// libFuzzer target for the kubeconfig reader (lib/src/platform/kubernetes/kubeconfig.cpp),
// which reads files the user's other tools write. Input: the first line names the context
// to resolve ("" : the current-context); the rest is split at lines holding only "---8<---"
// into the files of a KUBECONFIG list. Besides crashes, hangs and sanitizer reports, it
// traps when a promise is broken:
//   - every failure has a message, and one about a file's content names that file with a
//     line and column;
//   - a resolved context has a server and the name asked for;
//   - no failure message quotes a token or password of the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "platform/kubernetes/kubeconfig.hpp"
#include "require.hpp"

namespace {

// The values of `token: ` and `password: ` keys, roughly as a reader of the text sees them.
std::vector<std::string> secrets_in(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view key : {"token: ", "password: "}) {
    for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
      auto begin = text.find_first_not_of(" \t\"'", at + key.size());
      if (begin == std::string_view::npos) break;
      auto end = text.find_first_of(" \t\r\n\"',}]", begin);
      std::string value(text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
      // Short values occur in any message; a value that is also written elsewhere (as a
      // name, say) may be quoted as that.
      if (value.size() >= 8 && text.find(value) == text.rfind(value)) out.push_back(value);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto first_break = input.find('\n');
  const std::string context(input.substr(0, first_break));
  std::string_view rest = first_break == std::string_view::npos ? std::string_view() : input.substr(first_break + 1);
  std::vector<task::kube::KubeconfigText> files;
  for (int n = 0; n < 4; ++n) {
    const auto cut = rest.find("\n---8<---\n");
    files.push_back({"/fuzz/config" + std::to_string(n), std::string(rest.substr(0, cut))});
    if (cut == std::string_view::npos) break;
    rest = rest.substr(cut + 10);
  }
  auto access = task::kube::resolve_context(files, context);
  if (access) {
    require(!access->server.empty());
    require(context.empty() || access->context == context);
    return 0;
  }
  const auto& e = access.error();
  require(!e.message.empty());
  if (e.code == task::Errc::invalid_input && e.message.starts_with("/fuzz/config")) {
    // "/fuzz/configN:LINE:COLUMN: …"
    const auto colon = e.message.find(':');
    require(colon != std::string::npos && colon + 1 < e.message.size() && e.message[colon + 1] >= '0' &&
            e.message[colon + 1] <= '9');
  }
  // (The context asked for is quoted back, so a value that is also in it may appear.)
  const std::string_view files_text = first_break == std::string_view::npos ? std::string_view() : input.substr(first_break + 1);
  for (const auto& secret : secrets_in(files_text)) {
    if (context.find(secret) != std::string::npos) continue;
    require(e.message.find(secret) == std::string::npos && e.hint.find(secret) == std::string::npos);
  }
  return 0;
}
