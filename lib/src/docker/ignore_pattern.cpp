#include "docker/ignore_pattern.hpp"

#include <optional>

namespace task::docker {
namespace {

// Invalid UTF-8 bytes stand for themselves, so any byte string can be matched.
std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3
                                       : (lead >> 3) == 0x1e  ? 4 : 0;
    char32_t value = length == 1 ? lead : length == 2 ? lead & 0x1f : length == 3 ? lead & 0x0f
                                                                                   : lead & 0x07;
    bool valid = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xc0) == 0x80;
      value = value << 6 | (next & 0x3f);
    }
    if (!valid) {
      out.push_back(lead);
      ++i;
      continue;
    }
    out.push_back(value);
    i += length;
  }
  return out;
}

struct Cursor {
  std::u32string text;
  std::size_t pos = 0;
  bool done() const { return pos >= text.size(); }
  char32_t peek() const { return done() ? 0 : text[pos]; }
  char32_t next() { return text[pos++]; }
};

// One character of a class: a plain code point or `\` and any code point. `-` and `]`
// must be escaped, as in Go's filepath.Match.
std::optional<char32_t> class_char(Cursor& in) {
  if (in.done()) return std::nullopt;
  char32_t c = in.next();
  if (c == U'-' || c == U']') return std::nullopt;
  if (c == U'\\') {
    if (in.done()) return std::nullopt;
    c = in.next();
  }
  return c;
}

}  // namespace

std::string clean_path(std::string_view path) {
  const bool rooted = !path.empty() && path.front() == '/';
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

bool GlobPattern::CharSet::contains(char32_t c) const {
  bool in = false;
  for (const auto& [low, high] : ranges) in = in || (c >= low && c <= high);
  return in != negated;
}

std::expected<GlobPattern, std::string> GlobPattern::compile(std::string_view pattern) {
  GlobPattern glob;
  Cursor in{decode_utf8(pattern)};
  bool plain_after_leading_stars = true;
  bool leading_stars = false;
  for (std::size_t step = 0; !in.done(); ++step) {
    const char32_t c = in.next();
    if (c == U'*' && in.peek() == U'*') {
      in.next();
      if (in.peek() == U'/') in.next();
      glob.tokens_.push_back({in.done() ? Op::any_tail : Op::any_dirs});
      if (step == 0) {
        leading_stars = true;
      } else {
        plain_after_leading_stars = false;
      }
    } else if (c == U'*') {
      glob.tokens_.push_back({Op::star});
      plain_after_leading_stars = false;
    } else if (c == U'?') {
      glob.tokens_.push_back({Op::one});
      plain_after_leading_stars = false;
    } else if (c == U'\\') {
      if (in.done()) return std::unexpected("a trailing `\\` escapes nothing");
      glob.tokens_.push_back({Op::literal, in.next()});
      plain_after_leading_stars = false;
    } else if (c == U'[') {
      CharSet set;
      if (in.peek() == U'^') {
        in.next();
        set.negated = true;
      }
      while (true) {
        if (in.done()) return std::unexpected("a character class `[` is never closed");
        if (in.peek() == U']' && !set.ranges.empty()) {
          in.next();
          break;
        }
        const auto low = class_char(in);
        if (!low) return std::unexpected("malformed character class");
        char32_t high = *low;
        if (in.peek() == U'-') {
          in.next();
          const auto upper = class_char(in);
          if (!upper || *upper < *low) return std::unexpected("malformed range in character class");
          high = *upper;
        }
        set.ranges.emplace_back(*low, high);
      }
      glob.tokens_.push_back({Op::set, 0, glob.sets_.size()});
      glob.sets_.push_back(std::move(set));
      plain_after_leading_stars = false;
    } else {
      glob.tokens_.push_back({Op::literal, c});
      if (c == U']') plain_after_leading_stars = false;
    }
  }
  if (leading_stars && plain_after_leading_stars) {
    glob.suffix_only_ = true;
    glob.suffix_ = std::string(pattern.substr(2));
  }
  return glob;
}

bool GlobPattern::matches(std::string_view path) const {
  if (suffix_only_) {
    if (path.ends_with(suffix_)) return true;
    return suffix_.starts_with('/') && path == std::string_view(suffix_).substr(1);
  }
  return run(decode_utf8(path), false);
}

bool GlobPattern::matches_below(std::string_view dir) const {
  if (suffix_only_) return true;
  std::string prefix(dir);
  prefix += '/';
  return run(decode_utf8(prefix), true);
}

// Dynamic programming from the end: row[i] tells whether tokens t.. match input i..,
// built from the row of tokens t+1... With `partial`, running out of input while
// tokens remain counts as a match: a longer input could complete it.
bool GlobPattern::run(const std::u32string& input, bool partial) const {
  const std::size_t n = input.size();
  std::vector<char> next(n + 1, 0), row(n + 1, 0);
  next[n] = partial ? 0 : 1;
  for (std::size_t t = tokens_.size(); t-- > 0;) {
    const Token& token = tokens_[t];
    bool slash_then_rest = false;  // any_dirs: some k > i with input[k-1] == '/' && next[k]
    for (std::size_t i = n + 1; i-- > 0;) {
      if (partial && i == n) {
        row[i] = 1;
        continue;
      }
      const bool more = i < n;
      const char32_t c = more ? input[i] : 0;
      bool ok = false;
      switch (token.op) {
        case Op::literal: ok = more && c == token.ch && next[i + 1]; break;
        case Op::one: ok = more && c != U'/' && next[i + 1]; break;
        case Op::set: ok = more && sets_[token.set].contains(c) && next[i + 1]; break;
        case Op::star: ok = next[i] || (more && c != U'/' && row[i + 1]); break;
        case Op::any_tail: ok = next[i] || (more && row[i + 1]); break;
        case Op::any_dirs:
          if (more && c == U'/' && next[i + 1]) slash_then_rest = true;
          ok = next[i] || slash_then_rest;
          break;
      }
      row[i] = ok ? 1 : 0;
    }
    std::swap(row, next);
  }
  return next[0] != 0;
}

}  // namespace task::docker
