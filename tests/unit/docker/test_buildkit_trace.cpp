// BuildKit's progress traces: protobuf StatusResponse messages in base64, turned into a
// plain build log.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "docker/buildkit_trace.hpp"
#include "docker/encoding.hpp"
#include "docker/progress.hpp"

using task::docker::decode_trace;
using task::docker::Trace;
using task::docker::TraceRenderer;

namespace {

// A protobuf writer, enough to build the messages the engine sends.
std::string varint(std::uint64_t v) {
  std::string out;
  do {
    unsigned char byte = v & 0x7f;
    v >>= 7;
    if (v != 0) byte |= 0x80;
    out += static_cast<char>(byte);
  } while (v != 0);
  return out;
}
std::string bytes_field(int number, const std::string& value) {
  return varint(static_cast<std::uint64_t>(number) << 3 | 2) + varint(value.size()) + value;
}
std::string varint_field(int number, std::uint64_t value) {
  return varint(static_cast<std::uint64_t>(number) << 3) + varint(value);
}
std::string timestamp(std::int64_t seconds, std::int64_t nanos) {
  return varint_field(1, static_cast<std::uint64_t>(seconds)) + varint_field(2, static_cast<std::uint64_t>(nanos));
}
// Vertex: digest 1, name 3, cached 4, started 5, completed 6, error 7.
std::string vertex(const std::string& digest, const std::string& name, bool started, bool completed,
                   bool cached = false, const std::string& error = "") {
  std::string v = bytes_field(1, digest) + bytes_field(2, "sha256:input") + bytes_field(3, name);
  if (cached) v += varint_field(4, 1);
  if (started) v += bytes_field(5, timestamp(1700000000, 100000000));
  if (completed) v += bytes_field(6, timestamp(1700000001, 600000000));
  if (!error.empty()) v += bytes_field(7, error);
  return bytes_field(1, v);
}
// VertexLog: vertex 1, timestamp 2, stream 3, msg 4.
std::string log(const std::string& digest, const std::string& message) {
  return bytes_field(3, bytes_field(1, digest) + bytes_field(2, timestamp(1700000000, 0)) + varint_field(3, 1) +
                            bytes_field(4, message));
}
// VertexStatus: ID 1, vertex 2, name 3, current 4, total 5, timestamp 6, started 7, completed 8.
std::string status(const std::string& digest, const std::string& id, std::int64_t current, bool completed) {
  std::string s = bytes_field(1, id) + bytes_field(2, digest) + varint_field(4, static_cast<std::uint64_t>(current));
  if (completed) s += bytes_field(8, timestamp(1700000001, 0));
  return bytes_field(2, s);
}

std::string render(TraceRenderer& renderer, const std::string& payload) {
  auto trace = decode_trace(payload);
  REQUIRE(trace.has_value());
  return renderer.render(*trace);
}

}  // namespace

TEST_CASE("buildkit trace: a message as a Docker 20.10 engine sent it") {
  // A vertex with its digest, name, start and end, from a real build.
  const auto payload = task::docker::base64_decode(
      "CosBCkdzaGEyNTY6ZTRjNWVjNmUxZWZkZDFkYjE3YTIwZDkzYmUzMDQ3ZDM4MzZiNjA1MDEwYjY3NWEwZmNiODFhNjhhMjhh"
      "MDVkORokW2ludGVybmFsXSBsb2FkIHJlbW90ZSBidWlsZCBjb250ZXh0KgwI5ICv2AYQ5afdywMyDAjkgK/YBhDS3KHQAw==");
  REQUIRE(payload.has_value());
  const auto trace = decode_trace(*payload);
  REQUIRE(trace.has_value());
  REQUIRE(trace->vertexes.size() == 1);
  const auto& v = trace->vertexes[0];
  CHECK(v.digest == "sha256:e4c5ec6e1efdd1db17a20d93be3047d3836b605010b675a0fcb81a68a28a05d9");
  CHECK(v.name == "[internal] load remote build context");
  CHECK_FALSE(v.cached);
  CHECK(v.started_ns > 0);
  CHECK(v.completed_ns > v.started_ns);
  CHECK(v.completed_ns - v.started_ns < 1000000000);
  CHECK(v.error.empty());
}

TEST_CASE("buildkit trace: steps are numbered as they start, with their output, end and time") {
  TraceRenderer r;
  // Announced vertexes that have not started print nothing yet.
  CHECK(render(r, vertex("sha256:a", "[1/2] FROM busybox", false, false) +
                      vertex("sha256:b", "[2/2] RUN make", false, false)) == "");
  CHECK(render(r, vertex("sha256:a", "[1/2] FROM busybox", true, true, true)) ==
        "#1 [1/2] FROM busybox\n#1 CACHED\n");
  CHECK(render(r, vertex("sha256:b", "[2/2] RUN make", true, false)) == "#2 [2/2] RUN make\n");
  // Output is cut into lines, a line split across messages is joined, \r\n is one break.
  CHECK(render(r, log("sha256:b", "compiling\r\nlink")) == "#2 compiling\n");
  CHECK(render(r, log("sha256:b", "ing\ndone\n")) == "#2 linking\n#2 done\n");
  CHECK(render(r, log("sha256:b", "no newline")) == "");
  // The end flushes the unfinished line, then DONE with the step's time (1.5 s).
  CHECK(render(r, vertex("sha256:b", "[2/2] RUN make", true, true)) == "#2 no newline\n#2 DONE 1.5s\n");
  // A repeated completion adds nothing.
  CHECK(render(r, vertex("sha256:b", "[2/2] RUN make", true, true)) == "");
  CHECK(r.finish() == "");
}

TEST_CASE("buildkit trace: a failed step says why; statuses show when they end") {
  TraceRenderer r;
  CHECK(render(r, vertex("sha256:c", "exporting to image", true, false)) == "#1 exporting to image\n");
  CHECK(render(r, status("sha256:c", "exporting layers", 2048, false)) == "");
  CHECK(render(r, status("sha256:c", "exporting layers", 2048, true)) == "#1 exporting layers 2.0kB done\n");
  CHECK(render(r, vertex("sha256:d", "[3/3] RUN exit 3", true, false) + log("sha256:d", "about to fail")) ==
        "#2 [3/3] RUN exit 3\n");
  CHECK(render(r, vertex("sha256:d", "[3/3] RUN exit 3", true, true, false, "exit code: 3")) ==
        "#2 about to fail\n#2 ERROR: exit code: 3\n");
}

TEST_CASE("buildkit trace: output left without a newline at the end is not lost") {
  TraceRenderer r;
  CHECK(render(r, vertex("sha256:e", "[1/1] RUN printf x", true, false) + log("sha256:e", "x")) ==
        "#1 [1/1] RUN printf x\n");
  CHECK(r.finish() == "#1 x\n");
}

TEST_CASE("buildkit trace: what is not a StatusResponse is refused, not misread") {
  const std::string good = vertex("sha256:a", "[1/1] FROM x", true, true);
  CHECK(decode_trace("").has_value());  // an empty message is an empty response
  CHECK_FALSE(decode_trace(good.substr(0, good.size() - 3)).has_value());  // cut short
  CHECK_FALSE(decode_trace(std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)).has_value());
  CHECK_FALSE(decode_trace(std::string("\x0b", 1)).has_value());  // a group: not in these messages
  // A timestamp no engine sends (negative seconds on the wire are huge varints) is unknown,
  // not an overflow.
  const auto odd = decode_trace(bytes_field(1, bytes_field(1, "sha256:z") +
                                                  bytes_field(5, varint_field(1, ~0ull) + varint_field(2, 5))));
  REQUIRE(odd.has_value());
  CHECK(odd->vertexes.at(0).started_ns == 0);
  // Fields this reader does not know (a later engine's) are skipped.
  const auto extra = decode_trace(good + varint_field(9, 7) + bytes_field(4, "warning"));
  REQUIRE(extra.has_value());
  CHECK(extra->vertexes.size() == 1);
}

TEST_CASE("buildkit trace: the progress stream turns traces into log text") {
  std::vector<task::BuildEvent> events;
  task::docker::ProgressDecoder decoder([&](const task::BuildEvent& e) { events.push_back(e); });
  const std::string trace = vertex("sha256:a", "[1/2] COPY . /app", true, true) + log("sha256:a", "tail");
  const std::string stream = "{\"id\":\"moby.buildkit.trace\",\"aux\":\"" + task::docker::base64_encode(trace) +
                             "\"}\n"
                             "{\"id\":\"moby.buildkit.trace\",\"aux\":\"not base64 at all!\"}\n"
                             "{\"id\":\"moby.image.id\",\"aux\":{\"ID\":\"sha256:0123\"}}\n";
  REQUIRE(decoder.feed(stream).has_value());
  decoder.finish();
  REQUIRE(events.size() == 3);
  CHECK(events[0].kind == task::BuildEvent::Kind::stream);
  CHECK(events[0].text == "#1 [1/2] COPY . /app\n#1 DONE 1.5s\n");
  CHECK(events[1].kind == task::BuildEvent::Kind::aux);
  CHECK(events[1].text == "sha256:0123");
  CHECK(events[2].text == "#1 tail\n");  // flushed by finish()
  CHECK(decoder.image_id() == "sha256:0123");
  CHECK(decoder.error().empty());
}
