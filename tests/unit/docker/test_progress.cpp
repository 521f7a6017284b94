// Decoding the engine's JSON-lines progress stream.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "docker/progress.hpp"

using task::BuildEvent;
using Kind = task::BuildEvent::Kind;

namespace {

const std::string kBuildStream =
    "{\"stream\":\"Step 1/2 : FROM busybox:1.36\\n\"}\r\n"
    "{\"stream\":\" ---\\u003e 30d2abb5067f\\n\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1024,\"total\":4096},"
    "\"progress\":\"[===>    ]\",\"id\":\"a1b2c3\"}\r\n"
    "{\"aux\":{\"ID\":\"sha256:0123456789abcdef\"}}\r\n"
    "{\"stream\":\"Successfully built 0123456789ab\\n\"}\r\n";

struct Recorder {
  std::vector<BuildEvent> events;
  task::BuildEventHandler handler() {
    return [this](const BuildEvent& event) { events.push_back(event); };
  }
};

bool same(const BuildEvent& a, const BuildEvent& b) {
  return a.kind == b.kind && a.text == b.text && a.id == b.id && a.current == b.current &&
         a.total == b.total;
}

}  // namespace

TEST_CASE("a build stream decodes into stream, status and aux events") {
  Recorder recorder;
  task::docker::ProgressDecoder decoder(recorder.handler());
  REQUIRE(decoder.feed(kBuildStream).has_value());
  decoder.finish();
  const auto& events = recorder.events;
  REQUIRE(events.size() == 5);
  CHECK(events[0].kind == Kind::stream);
  CHECK(events[0].text == "Step 1/2 : FROM busybox:1.36\n");
  CHECK(events[1].text == " ---> 30d2abb5067f\n");
  CHECK(events[2].kind == Kind::status);
  CHECK(events[2].text == "Downloading");
  CHECK(events[2].id == "a1b2c3");
  CHECK(events[2].current == 1024);
  CHECK(events[2].total == 4096);
  CHECK(events[3].kind == Kind::aux);
  CHECK(events[3].text == "sha256:0123456789abcdef");
  CHECK(decoder.image_id() == "sha256:0123456789abcdef");
  CHECK(decoder.error().empty());
}

TEST_CASE("chunks may split the stream anywhere") {
  Recorder whole;
  task::docker::ProgressDecoder reference(whole.handler());
  REQUIRE(reference.feed(kBuildStream).has_value());
  reference.finish();

  for (std::size_t size : {1u, 2u, 3u, 7u, 13u, 64u}) {
    CAPTURE(size);
    Recorder pieces;
    task::docker::ProgressDecoder decoder(pieces.handler());
    for (std::size_t at = 0; at < kBuildStream.size(); at += size) {
      REQUIRE(decoder.feed(std::string_view(kBuildStream).substr(at, size)).has_value());
    }
    decoder.finish();
    REQUIRE(pieces.events.size() == whole.events.size());
    for (std::size_t i = 0; i < whole.events.size(); ++i) CHECK(same(pieces.events[i], whole.events[i]));
    CHECK(decoder.image_id() == "sha256:0123456789abcdef");
  }
  // Split in two at every position, including inside a multi-byte escape.
  for (std::size_t cut = 0; cut <= kBuildStream.size(); ++cut) {
    Recorder halves;
    task::docker::ProgressDecoder decoder(halves.handler());
    REQUIRE(decoder.feed(std::string_view(kBuildStream).substr(0, cut)).has_value());
    REQUIRE(decoder.feed(std::string_view(kBuildStream).substr(cut)).has_value());
    decoder.finish();
    CHECK(halves.events.size() == whole.events.size());
  }
}

TEST_CASE("an errorDetail fails the build although the HTTP status was 200") {
  Recorder recorder;
  task::docker::ProgressDecoder decoder(recorder.handler());
  REQUIRE(decoder.feed("{\"stream\":\"Step 2/2 : RUN exit 3\\n\"}\n"
                       "{\"errorDetail\":{\"code\":3,\"message\":\"The command '/bin/sh -c exit 3' "
                       "returned a non-zero code: 3\"},\"error\":\"The command '/bin/sh -c exit 3' "
                       "returned a non-zero code: 3\"}\n"
                       "{\"error\":\"a second error\"}\n")
              .has_value());
  decoder.finish();
  CHECK(decoder.error() == "The command '/bin/sh -c exit 3' returned a non-zero code: 3");
  REQUIRE(recorder.events.size() == 3);
  CHECK(recorder.events[1].kind == Kind::error);
  CHECK(recorder.events[2].kind == Kind::error);
  CHECK(recorder.events[2].text == "a second error");
  CHECK(decoder.image_id().empty());
}

TEST_CASE("a bare error field or an empty errorDetail still counts") {
  task::docker::ProgressDecoder only_error({});
  REQUIRE(only_error.feed("{\"error\":\"pull access denied\"}\n").has_value());
  CHECK(only_error.error() == "pull access denied");

  task::docker::ProgressDecoder empty_detail({});
  REQUIRE(empty_detail.feed("{\"errorDetail\":{}}\n").has_value());
  CHECK_FALSE(empty_detail.error().empty());
}

TEST_CASE("push streams give the digest, from aux or from the last status") {
  Recorder recorder;
  task::docker::ProgressDecoder decoder(recorder.handler());
  REQUIRE(decoder.feed("{\"status\":\"The push refers to repository [localhost:5000/app]\"}\n"
                       "{\"status\":\"Pushed\",\"progressDetail\":{},\"id\":\"5f70bf18a086\"}\n"
                       "{\"status\":\"v1: digest: sha256:feedbeef size: 527\"}\n"
                       "{\"progressDetail\":{},\"aux\":{\"Tag\":\"v1\",\"Digest\":\"sha256:feedbeef\",\"Size\":527}}\n")
              .has_value());
  decoder.finish();
  CHECK(decoder.digest() == "sha256:feedbeef");
  CHECK(decoder.status_digest() == "sha256:feedbeef");
  REQUIRE(recorder.events.size() == 4);
  CHECK(recorder.events[1].id == "5f70bf18a086");
  CHECK(recorder.events[3].kind == Kind::aux);
  CHECK(recorder.events[3].text == "sha256:feedbeef");
  CHECK(recorder.events[3].id == "v1");
}

TEST_CASE("odd lines: not JSON, blank, unknown aux, no trailing newline") {
  Recorder recorder;
  task::docker::ProgressDecoder decoder(recorder.handler());
  REQUIRE(decoder.feed("plain text\n\n   \n{\"aux\":{\"trace\":\"x\"}}\n[1,2]\n{\"stream\":\"last\"}").has_value());
  CHECK(recorder.events.size() == 2);  // the last line waits for its newline
  decoder.finish();
  REQUIRE(recorder.events.size() == 3);
  CHECK(recorder.events[0].kind == Kind::stream);
  CHECK(recorder.events[0].text == "plain text\n");
  CHECK(recorder.events[1].text == "[1,2]\n");
  CHECK(recorder.events[2].text == "last");
  CHECK(decoder.error().empty());
}

TEST_CASE("a line without end is refused past the limit") {
  task::docker::ProgressDecoder decoder({});
  const std::string part(1024 * 1024, 'x');
  task::Result<void> fed;
  for (int i = 0; i < 17 && fed; ++i) fed = decoder.feed(part);
  REQUIRE_FALSE(fed.has_value());
  CHECK(fed.error().code == task::Errc::platform);
}
