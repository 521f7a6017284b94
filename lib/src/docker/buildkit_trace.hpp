#pragma once
// BuildKit's progress, as the engine streams it for a build with version=2: messages
// {"id":"moby.buildkit.trace","aux":"<base64>"} whose payload is a protobuf
// moby.buildkit.v1.StatusResponse (control.proto). Decoded here with no protobuf library:
// only the fields a build log needs are read, anything else is skipped by wire type.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace task::docker {

struct TraceVertex {                  // one step of the build graph
  std::string digest, name, error;    // name: "[2/4] COPY src /app/src"
  bool cached = false;
  std::int64_t started_ns = 0, completed_ns = 0;  // Unix time; 0 when not (yet) known
};

struct TraceStatus {                  // progress inside a step ("transferring context")
  std::string id, vertex, name;
  std::int64_t current = 0, total = 0;
  bool completed = false;
};

struct TraceLog {                     // output of a step (a RUN's stdout or stderr)
  std::string vertex;
  std::int64_t stream = 0;            // 1 stdout, 2 stderr
  std::string message;
};

struct Trace {
  std::vector<TraceVertex> vertexes;
  std::vector<TraceStatus> statuses;
  std::vector<TraceLog> logs;
};

// The StatusResponse in `payload` (already base64-decoded); nullopt when it is not one.
std::optional<Trace> decode_trace(std::string_view payload);

// Turns traces into a plain build log, one line per event, numbered by step in the order
// steps appear (as `docker build --progress=plain` does):
//   #3 [2/4] COPY src /app/src
//   #3 DONE 0.4s
//   #4 [3/4] RUN find /app/src -type f | wc -l
//   #4 3000
//   #4 DONE 0.2s
//   #5 [4/4] RUN make
//   #5 CACHED
class TraceRenderer {
 public:
  // The log text the trace adds ("" when it adds nothing worth a line).
  std::string render(const Trace& trace);
  // What is left of unfinished output lines, at the end of the stream.
  std::string finish();

 private:
  struct Step {
    int number = 0;
    std::string name;
    bool announced = false, cached = false, done = false;
    std::string partial;  // output after the last newline
  };
  Step& step(const std::string& digest);
  void announce(Step& s, std::string& out);
  void flush_partial(Step& s, std::string& out);

  std::map<std::string, Step> steps_;
  int next_number_ = 1;
};

}  // namespace task::docker
