#pragma once
// Secret values never reach a run's log as it is shown or kept: a line that holds one has
// it replaced by ****. Values shorter than 4 bytes are left alone (they would mask half
// of every line).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "task/deployment.hpp"

namespace task {

class SecretMask {
 public:
  SecretMask() = default;
  explicit SecretMask(const Config& config) {
    for (const auto& [key, v] : config) {
      if (v.secret && v.value.size() >= 4) secrets_.push_back(v.value);
    }
    // The longest first, so a secret that contains another is masked whole.
    std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  }

  std::string operator()(std::string_view raw) const {
    std::string text(raw);
    for (const auto& secret : secrets_) {
      for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 4)) {
        text.replace(at, secret.size(), "****");
      }
    }
    return text;
  }

 private:
  std::vector<std::string> secrets_;
};

}  // namespace task
