#pragma once
// The engine's progress stream (build and push): JSON messages, one per line,
// arriving in chunks that split lines anywhere. A BuildKit build's traces become log
// lines (docker/buildkit_trace.hpp).
#include <string>
#include <string_view>

#include "docker/buildkit_trace.hpp"
#include "task/docker.hpp"

namespace task::docker {

class ProgressDecoder {
 public:
  static constexpr std::size_t kMaxLine = 16 * 1024 * 1024;

  explicit ProgressDecoder(BuildEventHandler on_event);

  // Decodes every line completed by `bytes`. Fails only on a line longer than kMaxLine.
  Result<void> feed(std::string_view bytes);
  // Decodes what is left after the last newline, at the end of the stream.
  void finish();

  // The first error the engine reported ("" if none): a build or push has failed even
  // though the HTTP status was 200.
  const std::string& error() const { return error_; }
  const std::string& image_id() const { return image_id_; }  // aux {"ID": …}
  const std::string& digest() const { return digest_; }      // aux {"Digest": …}
  // The digest a push names in its last status line ("tag: digest: sha256:… size: N"),
  // for engines that send no aux message.
  const std::string& status_digest() const { return status_digest_; }

 private:
  void decode(std::string_view line);
  void emit(const BuildEvent& event);

  BuildEventHandler on_event_;
  TraceRenderer trace_;
  std::string pending_;
  std::string error_, image_id_, digest_, status_digest_;
};

}  // namespace task::docker
