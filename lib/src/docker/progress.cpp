#include "docker/progress.hpp"

#include <nlohmann/json.hpp>

#include "docker/encoding.hpp"

namespace task::docker {
namespace {

using Json = nlohmann::json;

std::string string_field(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::int64_t number_field(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

BuildEvent make_event(BuildEvent::Kind kind, std::string text) {
  BuildEvent event;
  event.kind = kind;
  event.text = std::move(text);
  return event;
}

}  // namespace

ProgressDecoder::ProgressDecoder(BuildEventHandler on_event) : on_event_(std::move(on_event)) {}

Result<void> ProgressDecoder::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      if (pending_.size() + bytes.size() > kMaxLine) {
        return fail(Errc::platform, "the engine sent a progress message longer than 16 MiB");
      }
      pending_.append(bytes);
      return {};
    }
    if (pending_.empty()) {
      decode(bytes.substr(0, newline));
    } else {
      pending_.append(bytes.substr(0, newline));
      decode(pending_);
      pending_.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
  return {};
}

void ProgressDecoder::finish() {
  if (!pending_.empty()) {
    const std::string last = std::move(pending_);
    pending_.clear();
    decode(last);
  }
  if (std::string rest = trace_.finish(); !rest.empty()) emit(make_event(BuildEvent::Kind::stream, std::move(rest)));
}

void ProgressDecoder::emit(const BuildEvent& event) {
  if (on_event_) on_event_(event);
}

void ProgressDecoder::decode(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;
  Json message = Json::parse(line, nullptr, false);
  if (message.is_discarded() || !message.is_object()) {
    // Not JSON: pass it on as log text rather than lose it.
    emit(make_event(BuildEvent::Kind::stream, std::string(line) + "\n"));
    return;
  }
  std::string error_text;
  if (auto detail = message.find("errorDetail"); detail != message.end() && detail->is_object()) {
    error_text = string_field(*detail, "message");
  }
  if (error_text.empty()) error_text = string_field(message, "error");
  if (error_text.empty() && message.contains("errorDetail")) error_text = "unknown error";
  if (!error_text.empty()) {
    if (error_.empty()) error_ = error_text;
    emit(make_event(BuildEvent::Kind::error, error_text));
    return;
  }
  if (auto aux = message.find("aux"); aux != message.end() && aux->is_string() &&
                                      string_field(message, "id") == "moby.buildkit.trace") {
    // BuildKit's progress: steps, their output and their end, as log lines.
    const auto payload = base64_decode(aux->get_ref<const std::string&>());
    const auto trace = payload ? decode_trace(*payload) : std::nullopt;
    if (trace) {
      if (std::string text = trace_.render(*trace); !text.empty()) {
        emit(make_event(BuildEvent::Kind::stream, std::move(text)));
      }
    }
    return;
  }
  if (auto aux = message.find("aux"); aux != message.end() && aux->is_object()) {
    if (auto id = string_field(*aux, "ID"); !id.empty()) {
      image_id_ = id;
      emit(make_event(BuildEvent::Kind::aux, id));
    } else if (auto digest = string_field(*aux, "Digest"); !digest.empty()) {
      digest_ = digest;
      BuildEvent event = make_event(BuildEvent::Kind::aux, digest);
      event.id = string_field(*aux, "Tag");
      emit(event);
    }
    return;  // other aux payloads mean nothing here
  }
  if (auto stream = message.find("stream"); stream != message.end() && stream->is_string()) {
    emit(make_event(BuildEvent::Kind::stream, stream->get<std::string>()));
    return;
  }
  if (auto status = message.find("status"); status != message.end() && status->is_string()) {
    BuildEvent event = make_event(BuildEvent::Kind::status, status->get<std::string>());
    event.id = string_field(message, "id");
    if (auto detail = message.find("progressDetail"); detail != message.end() && detail->is_object()) {
      event.current = number_field(*detail, "current");
      event.total = number_field(*detail, "total");
    }
    if (const auto at = event.text.find("digest: sha256:"); at != std::string::npos) {
      const auto start = at + 8;
      status_digest_ = event.text.substr(start, event.text.find(' ', start) - start);
    }
    emit(event);
  }
}

}  // namespace task::docker
