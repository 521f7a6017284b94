#pragma once
// Small encodings the docker CLI's files use: SHA-256 names the directories of docker
// contexts, base64 carries registry credentials.
#include <optional>
#include <string>
#include <string_view>

namespace task::docker {

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// RFC 4648 base64, padded. `url_safe` uses '-' and '_' (Go's base64.URLEncoding).
std::string base64_encode(std::string_view data, bool url_safe = false);

// Accepts both alphabets, with or without padding; nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace task::docker
