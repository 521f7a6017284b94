// Remote addresses: parsing, normalizing and keeping credentials out of them.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "task/connect.hpp"
#include "task/name.hpp"

namespace task {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view default_port(GitUrl::Transport t) {
  switch (t) {
    case GitUrl::Transport::https:
      return "443";
    case GitUrl::Transport::http:
      return "80";
    case GitUrl::Transport::ssh:
      return "22";
    case GitUrl::Transport::git:
      return "9418";
    case GitUrl::Transport::file:
      return "";
  }
  return "";
}

Error bad_url(std::string_view shown, std::string reason, std::string hint = {}) {
  if (hint.empty()) {
    hint =
        "give https://HOST/ORG/REPO.git, ssh://git@HOST/ORG/REPO.git, git@HOST:ORG/REPO.git, "
        "git://HOST/REPO, file:///PATH or a local path";
  }
  return Error{Errc::invalid_input,
               fmt::format("`{}` is not a usable repository URL: {}", shown, reason),
               std::move(hint)};
}

// The hint for a URL that carries a password: where the secret goes instead.
std::string password_hint(GitUrl::Transport t) {
  if (t == GitUrl::Transport::ssh) {
    return "remove the password from the URL; task authenticates over SSH with the SSH agent or "
           "the key "
           "file named by TASK_GIT_SSH_KEY";
  }
  return "remove the credentials from the URL and put the token in TASK_GIT_TOKEN (GITHUB_TOKEN "
         "works for "
         "github.com): task never stores or prints it";
}

Result<GitUrl::Transport> transport_of(std::string_view scheme, std::string_view shown) {
  auto s = lower(scheme);
  if (s == "https") return GitUrl::Transport::https;
  if (s == "http") return GitUrl::Transport::http;
  if (s == "ssh" || s == "git+ssh" || s == "ssh+git") return GitUrl::Transport::ssh;
  if (s == "git") return GitUrl::Transport::git;
  if (s == "file") return GitUrl::Transport::file;
  return std::unexpected(bad_url(shown, fmt::format("task cannot fetch over `{}://`", scheme)));
}

// Host and optional port of an authority without user information: "h", "h:22", "[::1]:22".
Result<void> split_host_port(std::string_view hostport, std::string_view shown, GitUrl& url) {
  std::string_view host = hostport, port;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos)
      return std::unexpected(bad_url(shown, "an IPv6 address is missing its `]`"));
    host = hostport.substr(0, close + 1);
    auto rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return std::unexpected(bad_url(shown, "unexpected text after the host"));
      port = rest.substr(1);
    }
  } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (host.empty()) return std::unexpected(bad_url(shown, "it names no host"));
  for (char c : host) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
              c == '[' || c == ']' || c == ':';
    if (!ok)
      return std::unexpected(
          bad_url(shown, fmt::format("the host `{}` has a character `{}`", host, c)));
  }
  if (!port.empty()) {
    bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
      return std::unexpected(
          bad_url(shown, fmt::format("the port `{}` is not a number from 1 to 65535", port)));
    }
  }
  url.host = lower(host);
  url.port = port == default_port(url.transport) ? "" : std::string(port);
  return {};
}

// The text of a URL with its user information cut out, for messages about bad URLs.
std::string without_userinfo(std::string_view raw) { return redact_credentials(raw); }

}  // namespace

std::string redact_credentials(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto scheme_end = text.find("://", pos);
    if (scheme_end == std::string_view::npos) break;
    auto authority = scheme_end + 3;
    auto end = authority;
    while (end < text.size() &&
           std::string_view("/ \t\r\n'\"`<>()[]{};,").find(text[end]) == std::string_view::npos) {
      ++end;
    }
    auto at = text.substr(authority, end - authority).rfind('@');
    out.append(text.substr(pos, authority - pos));
    if (at != std::string_view::npos) {
      out += "***";
      out.append(text.substr(authority + at, end - authority - at));
    } else {
      out.append(text.substr(authority, end - authority));
    }
    pos = end;
  }
  out.append(text.substr(std::min(pos, text.size())));
  return out;
}

Result<GitUrl> parse_git_url(std::string_view raw, const fs::path& cwd) {
  const std::string shown = without_userinfo(raw);
  if (raw.empty()) return std::unexpected(bad_url(shown, "it is empty"));
  for (char c : raw) {
    if (static_cast<unsigned char>(c) < 0x20)
      return std::unexpected(bad_url(shown, "it contains a control character"));
  }
  GitUrl url;
  auto scheme_end = raw.find("://");
  auto colon = raw.find(':');
  auto first_slash = raw.find('/');
  const bool scp_like = colon != std::string_view::npos && colon > 0 &&
                        (first_slash == std::string_view::npos || colon < first_slash);
  // Only a local path may hold a space; in a URL it must be percent-encoded.
  if ((scheme_end != std::string_view::npos || scp_like) &&
      raw.find(' ') != std::string_view::npos) {
    return std::unexpected(bad_url(shown, "it contains a space", "write a space in a URL as %20"));
  }
  if (scheme_end != std::string_view::npos) {
    auto transport = transport_of(raw.substr(0, scheme_end), shown);
    if (!transport) return std::unexpected(transport.error());
    url.transport = *transport;
    auto rest = raw.substr(scheme_end + 3);
    if (rest.find_first_of("?#") != std::string_view::npos) {
      return std::unexpected(
          bad_url(shown, "a query or fragment (`?`, `#`) is not part of a repository address",
                  "give the repository's clone URL; put a token in TASK_GIT_TOKEN"));
    }
    if (url.transport == GitUrl::Transport::file) {
      if (rest.starts_with("localhost/")) rest.remove_prefix(9);
      if (!rest.starts_with("/"))
        return std::unexpected(bad_url(shown, "file:// needs an absolute path: file:///PATH"));
      url.path = fs::path(rest).lexically_normal().string();
      while (url.path.size() > 1 && url.path.back() == '/') url.path.pop_back();
      url.text = "file://" + url.path;
      return url;
    }
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    url.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
      auto userinfo = authority.substr(0, at);
      if (userinfo.find(':') != std::string_view::npos) {
        return std::unexpected(
            bad_url(shown, "it carries a password", password_hint(url.transport)));
      }
      if (url.transport == GitUrl::Transport::ssh) url.user = std::string(userinfo);
      authority = authority.substr(at + 1);
    }
    if (auto ok = split_host_port(authority, shown, url); !ok) return std::unexpected(ok.error());
    while (url.path.size() > 1 && url.path.back() == '/') url.path.pop_back();
    if (url.path.empty() || url.path == "/")
      return std::unexpected(bad_url(shown, "it names no repository on the host"));
    std::string scheme = url.transport == GitUrl::Transport::https  ? "https"
                         : url.transport == GitUrl::Transport::http ? "http"
                         : url.transport == GitUrl::Transport::ssh  ? "ssh"
                                                                    : "git";
    url.text = fmt::format("{}://{}{}{}{}", scheme, url.user.empty() ? "" : url.user + "@",
                           url.host, url.port.empty() ? "" : ":" + url.port, url.path);
    return url;
  }

  // scp-like `[user@]host:path`: a colon before any slash, as Git decides.
  if (scp_like) {
    url.transport = GitUrl::Transport::ssh;
    auto hostpart = raw.substr(0, colon);
    auto path = raw.substr(colon + 1);
    if (auto at = path.find('@'); at != std::string_view::npos &&
                                  hostpart.find('@') == std::string_view::npos &&
                                  path.substr(0, at).find('/') == std::string_view::npos) {
      // `user:secret@host:path`: show it without the secret.
      return std::unexpected(bad_url("***@" + std::string(path.substr(at + 1)),
                                     "it carries a password", password_hint(url.transport)));
    }
    if (auto at = hostpart.rfind('@'); at != std::string_view::npos) {
      url.user = std::string(hostpart.substr(0, at));
      hostpart = hostpart.substr(at + 1);
    }
    if (auto ok = split_host_port(hostpart, shown, url); !ok) return std::unexpected(ok.error());
    if (!url.port.empty()) {
      return std::unexpected(
          bad_url(shown, "the scp-like form has no port", "use ssh://USER@HOST:PORT/PATH"));
    }
    url.path = std::string(path);
    while (url.path.size() > 1 && url.path.back() == '/') url.path.pop_back();
    if (url.path.empty() || url.path == "/")
      return std::unexpected(bad_url(shown, "it names no repository on the host"));
    url.text = fmt::format("{}{}:{}", url.user.empty() ? "" : url.user + "@", url.host, url.path);
    return url;
  }

  url.transport = GitUrl::Transport::file;
  url.path = (fs::path(raw).is_absolute() ? fs::path(raw) : cwd / raw).lexically_normal().string();
  while (url.path.size() > 1 && url.path.back() == '/') url.path.pop_back();
  url.text = url.path;
  return url;
}

std::string cache_key(const GitUrl& url) {
  // FNV-1a: a stable name, not a security boundary; the clone's recorded URL is checked.
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : url.text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  auto name = fs::path(url.path).filename().string();
  if (name == ".git") name = fs::path(url.path).parent_path().filename().string();
  if (name.ends_with(".git")) name.resize(name.size() - 4);
  std::string readable;
  for (char c : (url.host.empty() ? std::string("local") : url.host) + "-" + name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    readable += ok ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '-';
  }
  if (readable.size() > 48) readable.resize(48);
  return fmt::format("{}-{:016x}", readable, hash);
}

Result<std::string> normalize_repo_path(std::string_view path, std::string_view what) {
  if (path.starts_with("/")) {
    return fail(Errc::invalid_input, fmt::format("{} `{}` is absolute", what, path),
                "give a directory relative to the repository's root, e.g. services/health-check");
  }
  std::string out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    auto part =
        path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (part == "..") {
      return fail(Errc::invalid_input, fmt::format("{} `{}` leaves the repository", what, path),
                  "give a directory inside the repository, without `..`");
    }
    if (!part.empty() && part != ".") out += (out.empty() ? "" : "/") + std::string(part);
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return out;
}

std::string derive_task_name(const GitUrl& url, std::string_view path) {
  std::string base;
  if (!path.empty()) {
    auto trimmed = std::string(path);
    while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
    base = fs::path(trimmed).filename().string();
  }
  if (base.empty()) {
    fs::path p(url.path);
    base = p.filename().string();
    if (base == ".git") base = p.parent_path().filename().string();
    if (base.ends_with(".git")) base.resize(base.size() - 4);
  }
  return to_dns_label(base);
}

}  // namespace task
