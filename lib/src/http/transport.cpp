#include "http/transport.hpp"

#include "core/release.hpp"

#include <curl/curl.h>

#include <optional>

namespace task::http {

namespace {

using Curl = std::unique_ptr<CURL, Release<curl_easy_cleanup>>;
using CurlHeaders = std::unique_ptr<curl_slist, Release<curl_slist_free_all>>;

constexpr std::size_t kMaxCollectedBody = 64 * 1024 * 1024;

// What one perform() shares with curl's callbacks.
struct Transfer {
  CURL* handle = nullptr;
  const Call* call = nullptr;
  Response response;
  std::optional<Error> upload_error;
  bool cancelled = false;

  bool streaming() const { return call->on_data && response.status >= 200 && response.status < 300; }
};

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer.response.status == 0) curl_easy_getinfo(transfer.handle, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  if (transfer.streaming()) {
    if (!transfer.call->on_data(std::string_view(data, bytes))) {
      transfer.response.stopped = true;
      return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    return bytes;
  }
  if (transfer.response.body.size() < kMaxCollectedBody) transfer.response.body.append(data, bytes);
  return bytes;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (transfer.call->cancelled && transfer.call->cancelled()) {
    transfer.cancelled = true;
    return CURL_READFUNC_ABORT;
  }
  auto written = transfer.call->upload(std::span<char>(buffer, size * count));
  if (!written) {
    transfer.upload_error = written.error();
    return CURL_READFUNC_ABORT;
  }
  return *written;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (transfer.call->cancelled && transfer.call->cancelled()) {
    transfer.cancelled = true;
    return 1;
  }
  return 0;
}

Failure::Kind kind_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT: return Failure::connect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR: return Failure::tls;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE: return Failure::closed;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return Failure::bad_url;
    default: return Failure::other;
  }
}

}  // namespace

struct Transport::Impl {
  Endpoint endpoint;
  Curl handle;
};

Transport::Transport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Transport::Transport(Transport&&) noexcept = default;
Transport& Transport::operator=(Transport&&) noexcept = default;
Transport::~Transport() = default;

const Endpoint& Transport::endpoint() const { return impl_->endpoint; }

Result<Transport> Transport::open(Endpoint endpoint) {
  auto impl = std::make_unique<Impl>();
  impl->endpoint = std::move(endpoint);
  // curl_easy_init initialises libcurl itself on first use (thread-safe since 7.84).
  impl->handle.reset(curl_easy_init());
  if (!impl->handle) return fail(Errc::failure, "cannot initialise libcurl");
  return Transport(std::move(impl));
}

std::expected<Response, Failure> Transport::perform(const Call& call) {
  CURL* curl = impl_->handle.get();
  const Endpoint& endpoint = impl_->endpoint;
  curl_easy_reset(curl);  // keeps the open connection

  Transfer transfer;
  transfer.handle = curl;
  transfer.call = &call;
  char error_text[CURL_ERROR_SIZE] = {};
  const std::string url = endpoint.base_url + call.target;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, endpoint.protocols.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "task");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, endpoint.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  if (call.timeout_ms > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, call.timeout_ms);
  if (!endpoint.unix_socket.empty()) curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, endpoint.unix_socket.c_str());
  // An authority given is the only one trusted: neither the system's bundle nor its
  // directory (a token sent to a server must not be sent to whoever a public CA vouches for).
  if (!endpoint.ca_file.empty() || !endpoint.ca_pem.empty()) curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  if (!endpoint.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, endpoint.ca_file.c_str());
  if (!endpoint.ca_pem.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, nullptr);
    curl_blob blob{const_cast<char*>(endpoint.ca_pem.data()), endpoint.ca_pem.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  // A client certificate and its key, each from a file or from PEM text.
  if (!endpoint.cert_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, endpoint.cert_file.c_str());
  if (!endpoint.key_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, endpoint.key_file.c_str());
  if (!endpoint.cert_pem.empty()) {
    curl_blob cert{const_cast<char*>(endpoint.cert_pem.data()), endpoint.cert_pem.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert);
  }
  if (!endpoint.key_pem.empty()) {
    curl_blob key{const_cast<char*>(endpoint.key_pem.data()), endpoint.key_pem.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
  }
  CurlHeaders connect_to;
  if (!endpoint.connect_to.empty()) {
    connect_to.reset(curl_slist_append(nullptr, endpoint.connect_to.c_str()));
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to.get());
  }
  if (!endpoint.use_proxy) curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  if (!endpoint.verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  CurlHeaders headers;
  auto add_header = [&headers](const std::string& line) {
    if (curl_slist* grown = curl_slist_append(headers.get(), line.c_str())) {
      (void)headers.release();
      headers.reset(grown);
    }
  };
  add_header("Expect:");  // no 100-continue round trip before a body
  for (const std::string& header : call.headers) add_header(header);

  if (call.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    if (call.upload) {
      add_header("Transfer-Encoding: chunked");
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, &on_read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    } else {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    }
  } else if (call.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (call.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    if (!call.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    }
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (call.cancelled) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  }

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  long os_errno = 0;
  curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_CONNECT_TO, nullptr);
  if (code == CURLE_OK) return std::move(transfer.response);
  if (transfer.cancelled) return std::unexpected(Failure{Failure::cancelled, 0, "cancelled", {}});
  if (transfer.upload_error) return std::unexpected(Failure{Failure::upload, 0, transfer.upload_error->message, *transfer.upload_error});
  if (transfer.response.stopped) return std::move(transfer.response);
  if (transfer.response.status >= 400) return std::move(transfer.response);
  return std::unexpected(Failure{kind_of(code), os_errno, error_text[0] != '\0' ? error_text : curl_easy_strerror(code), {}});
}

std::string url_encode(std::string_view text, std::string_view keep) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

}  // namespace task::http
