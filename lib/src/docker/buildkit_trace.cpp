#include "docker/buildkit_trace.hpp"

#include <cstdio>

namespace task::docker {
namespace {

// Protobuf wire format: a key (field number << 3 | wire type) then the value.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  bool done() const { return pos_ >= data_.size(); }

  std::optional<std::uint64_t> varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return std::nullopt;
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;
  }

  // The next field: its number, wire type, and for length-delimited fields the bytes.
  struct Field {
    std::uint32_t number = 0;
    std::uint32_t type = 0;
    std::uint64_t value = 0;   // varint fields
    std::string_view bytes;    // length-delimited fields
  };

  std::optional<Field> next() {
    const auto key = varint();
    if (!key) return std::nullopt;
    Field field;
    field.number = static_cast<std::uint32_t>(*key >> 3);
    field.type = static_cast<std::uint32_t>(*key & 7);
    switch (field.type) {
      case 0: {
        const auto v = varint();
        if (!v) return std::nullopt;
        field.value = *v;
        return field;
    }
      case 1: return skip(8) ? std::optional<Field>(field) : std::nullopt;
      case 5: return skip(4) ? std::optional<Field>(field) : std::nullopt;
      case 2: {
        const auto length = varint();
        if (!length || *length > data_.size() - pos_) return std::nullopt;
        field.bytes = data_.substr(pos_, static_cast<std::size_t>(*length));
        pos_ += static_cast<std::size_t>(*length);
        return field;
    }
      default: return std::nullopt;  // groups (3, 4) are not used by these messages
    }
  }

 private:
  bool skip(std::size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

// Calls `on_field` for each field of the message in `bytes`; false if it is malformed.
template <typename OnField>
bool for_each_field(std::string_view bytes, OnField on_field) {
  WireReader r(bytes);
  while (!r.done()) {
    const auto f = r.next();
    if (!f) return false;
    on_field(*f);
  }
  return true;
}

// google.protobuf.Timestamp as nanoseconds since the Unix epoch.
std::optional<std::int64_t> timestamp(std::string_view bytes) {
  std::uint64_t seconds = 0, nanos = 0;
  const bool ok = for_each_field(bytes, [&](const WireReader::Field& f) {
    if (f.type != 0) return;
    if (f.number == 1) seconds = f.value;
    if (f.number == 2) nanos = f.value;
  });
  if (!ok) return std::nullopt;
  // Anything outside 1970..2262 or with more than a second of nanoseconds is no time an
  // engine sends: unknown, rather than an overflow.
  constexpr std::uint64_t kLastSecond = 9223372035;
  if (seconds > kLastSecond || nanos >= 1000000000) return 0;
  return static_cast<std::int64_t>(seconds * 1000000000 + nanos);
}

// Each message below: the field numbers of control.proto.
std::optional<TraceVertex> vertex(std::string_view bytes) {
  TraceVertex v;
  const bool ok = for_each_field(bytes, [&](const WireReader::Field& f) {
    switch (f.number) {
      case 1: if (f.type == 2) v.digest = f.bytes; break;
      case 3: if (f.type == 2) v.name = f.bytes; break;
      case 4: if (f.type == 0) v.cached = f.value != 0; break;
      case 5: if (f.type == 2) v.started_ns = timestamp(f.bytes).value_or(0); break;
      case 6: if (f.type == 2) v.completed_ns = timestamp(f.bytes).value_or(0); break;
      case 7: if (f.type == 2) v.error = f.bytes; break;
      default: break;
    }
  });
  if (!ok) return std::nullopt;
  return v;
}

std::optional<TraceStatus> status(std::string_view bytes) {
  TraceStatus s;
  const bool ok = for_each_field(bytes, [&](const WireReader::Field& f) {
    switch (f.number) {
      case 1: if (f.type == 2) s.id = f.bytes; break;
      case 2: if (f.type == 2) s.vertex = f.bytes; break;
      case 3: if (f.type == 2) s.name = f.bytes; break;
      case 4: if (f.type == 0) s.current = static_cast<std::int64_t>(f.value); break;
      case 5: if (f.type == 0) s.total = static_cast<std::int64_t>(f.value); break;
      case 8: if (f.type == 2) s.completed = true; break;
      default: break;
    }
  });
  if (!ok) return std::nullopt;
  return s;
}

std::optional<TraceLog> log(std::string_view bytes) {
  TraceLog l;
  const bool ok = for_each_field(bytes, [&](const WireReader::Field& f) {
    switch (f.number) {
      case 1: if (f.type == 2) l.vertex = f.bytes; break;
      case 3: if (f.type == 0) l.stream = static_cast<std::int64_t>(f.value); break;
      case 4: if (f.type == 2) l.message = f.bytes; break;
      default: break;
    }
  });
  if (!ok) return std::nullopt;
  return l;
}

std::string seconds_text(std::int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1fs", static_cast<double>(ns) / 1e9);
  return buffer;
}

std::string size_text(std::int64_t bytes) {
  char buffer[32];
  if (bytes < 1024) {
    std::snprintf(buffer, sizeof buffer, "%lldB", static_cast<long long>(bytes));
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buffer, sizeof buffer, "%.1fkB", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1fMB", static_cast<double>(bytes) / (1024 * 1024));
  }
  return buffer;
}

}  // namespace

std::optional<Trace> decode_trace(std::string_view payload) {
  WireReader r(payload);
  Trace trace;
  while (!r.done()) {
    const auto f = r.next();
    if (!f) return std::nullopt;
    if (f->type != 2) continue;
    if (f->number == 1) {
      auto v = vertex(f->bytes);
      if (!v) return std::nullopt;
      trace.vertexes.push_back(std::move(*v));
    } else if (f->number == 2) {
      auto s = status(f->bytes);
      if (!s) return std::nullopt;
      trace.statuses.push_back(std::move(*s));
    } else if (f->number == 3) {
      auto l = log(f->bytes);
      if (!l) return std::nullopt;
      trace.logs.push_back(std::move(*l));
    }
  }
  return trace;
}

TraceRenderer::Step& TraceRenderer::step(const std::string& digest) { return steps_[digest]; }

void TraceRenderer::announce(Step& s, std::string& out) {
  if (s.announced) return;
  s.announced = true;
  if (s.number == 0) s.number = next_number_++;
  out += "#" + std::to_string(s.number) + " " + s.name + "\n";
}

void TraceRenderer::flush_partial(Step& s, std::string& out) {
  if (s.partial.empty()) return;
  out += "#" + std::to_string(s.number) + " " + s.partial + "\n";
  s.partial.clear();
}

std::string TraceRenderer::render(const Trace& trace) {
  std::string out;
  for (const TraceVertex& v : trace.vertexes) {
    Step& s = step(v.digest);
    if (!v.name.empty()) s.name = v.name;
    if (v.started_ns == 0 && !v.cached && v.completed_ns == 0) continue;  // not begun
    announce(s, out);
    if (v.cached && !s.cached) {
      s.cached = true;
      out += "#" + std::to_string(s.number) + " CACHED\n";
    }
    if (v.completed_ns != 0 && !s.done) {
      s.done = true;
      flush_partial(s, out);
      if (!v.error.empty()) {
        out += "#" + std::to_string(s.number) + " ERROR: " + v.error + "\n";
    } else if (!s.cached) {
        const std::int64_t took = v.started_ns != 0 ? v.completed_ns - v.started_ns : 0;
        out += "#" + std::to_string(s.number) + " DONE " + seconds_text(took > 0 ? took : 0) + "\n";
    }
    }
  }
  for (const TraceStatus& st : trace.statuses) {
    if (!st.completed) continue;
    Step& s = step(st.vertex);
    announce(s, out);
    const std::string what = st.name.empty() ? st.id : st.name;
    out += "#" + std::to_string(s.number) + " " + what;
    if (st.current > 0) out += " " + size_text(st.current);
    out += " done\n";
  }
  for (const TraceLog& l : trace.logs) {
    Step& s = step(l.vertex);
    announce(s, out);
    std::string_view text = l.message;
    while (!text.empty()) {
      const auto newline = text.find('\n');
      if (newline == std::string_view::npos) {
        s.partial.append(text);
        break;
    }
      std::string_view line = text.substr(0, newline);
      if (line.ends_with('\r')) line.remove_suffix(1);
      out += "#" + std::to_string(s.number) + " " + s.partial;
      out.append(line);
      out += "\n";
      s.partial.clear();
      text.remove_prefix(newline + 1);
    }
  }
  return out;
}

std::string TraceRenderer::finish() {
  std::string out;
  for (auto& [digest, s] : steps_) {
    if (s.announced) flush_partial(s, out);
  }
  return out;
}

}  // namespace task::docker
