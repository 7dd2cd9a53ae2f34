#include "stream/http_server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

namespace pinstream {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A request body read into one std::string. Unlike Beast's string_body it leaves room for the
// server's kBodyPadding bytes when the length is declared (so appending them copies nothing), and
// it appends without zero-filling first.
struct PaddedBody {
  using value_type = std::string;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      body_.clear();
      // The parser has checked a declared length against the body limit already.
      if (length) body_.reserve(static_cast<size_t>(*length) + HttpServer::kBodyPadding);
      ec = {};
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      size_t n = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      ec = {};
      return n;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

using RequestParser = http::request_parser<PaddedBody>;

// Body buffers kept from request to request, so that a steady stream of large bodies does not
// allocate (and fault in) a fresh buffer each time. Keeps at most `max_kept` of them: the server
// holds up to that many times the body limit when idle. Thread-safe.
class BodyPool {
 public:
  explicit BodyPool(size_t max_kept) : max_kept_(max_kept) {}

  std::string Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return {};
    std::string s = std::move(free_.back());
    free_.pop_back();
    return s;
  }

  void Give(std::string s) {
    if (s.capacity() == 0) return;
    s.clear();
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < max_kept_) free_.push_back(std::move(s));
  }

 private:
  const size_t max_kept_;
  std::mutex mu_;
  std::vector<std::string> free_;  // GUARDED_BY(mu_)
};

// What every connection shares; outlives them all.
struct ServerState {
  ServerState(const HttpServer::Options& o, HttpServer::Handler h, HttpServer::ErrorRenderer r)
      : options(o),
        handler(std::move(h)),
        render_error(std::move(r)),
        bodies(static_cast<size_t>(o.threads)) {}

  const HttpServer::Options options;
  const HttpServer::Handler handler;
  const HttpServer::ErrorRenderer render_error;
  BodyPool bodies;
  std::atomic<size_t> open_connections{0};
};

void SplitTarget(HttpRequest* r) {
  const size_t q = r->target.find('?');
  r->path = r->target.substr(0, q);
  r->query = q == std::string::npos ? std::string() : r->target.substr(q + 1);
}

// The request's head as the parser has it so far: for a refused request, enough for the renderer
// to tell the route (and so the dialect) it was meant for.
HttpRequest HeadOf(const http::request<PaddedBody>& m) {
  HttpRequest r;
  r.method = std::string(m.method_string());
  r.target = std::string(m.target());
  SplitTarget(&r);
  for (const auto& f : m)
    r.headers.push_back({std::string(f.name_string()), std::string(f.value())});
  return r;
}

// Renders a server-made error; never throws (a renderer failure gives a bare status).
HttpResponse RenderError(const ServerState& state, const HttpRequest& head, int status,
                         std::string_view message) {
  HttpResponse response;
  try {
    state.render_error(head, status, message, &response);
  } catch (const std::exception& e) {
    spdlog::error("http server: the error renderer threw error={}", e.what());
    response = HttpResponse{};
  }
  response.status = status;
  return response;
}

http::response<http::string_body> ToBeast(HttpResponse&& r, bool keep_alive) {
  http::response<http::string_body> res;
  res.version(11);
  res.result(static_cast<unsigned>(r.status));
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (const HttpHeader& h : r.headers) res.insert(h.name, h.value);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

bool NeedsFraming(http::verb method) {
  return method == http::verb::post || method == http::verb::put || method == http::verb::patch;
}

// One connection: reads requests one after the other (keep-alive), each under its deadlines.
// Owned by the pending operations that hold its shared_ptr; runs on its own strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // The read size while a body streams in.
  static constexpr size_t kBodyReadBytes = 64 * 1024;

  Session(tcp::socket&& socket, ServerState* state) : stream_(std::move(socket)), state_(state) {
    state_->open_connections.fetch_add(1);
  }
  ~Session() { state_->open_connections.fetch_sub(1); }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      // A new connection's first request runs under the header deadline from the connect on: a
      // client that connects and says nothing is a slow client too.
      self->ReadHeader();
    });
  }

 private:
  const HttpServer::Options& options() const { return state_->options; }

  void NewParser() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(options().max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(options().max_body_bytes);
  }

  // Between two requests of a keep-alive connection: the idle deadline runs until the next
  // request's first byte, then the header deadline.
  void AwaitRequest() {
    if (buffer_.size() > 0) {  // pipelined: the next request has begun already
      ReadHeader();
      return;
    }
    // An idle connection keeps no read buffer: thousands of them may wait.
    buffer_.shrink_to_fit();
    stream_.expires_after(options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(512),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    NewParser();
    stream_.expires_after(options().header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    const auto& m = parser_->get();
    if (m.count(http::field::content_length) > 1) {
      // Beast merges equal values; a proxy in front of us might not.
      return Refuse(400, "more than one Content-Length header");
    }
    if (m.count(http::field::transfer_encoding) > 0) {
      if (m.count(http::field::content_length) > 0) {
        return Refuse(400, "Content-Length together with Transfer-Encoding");
      }
      if (m.count(http::field::transfer_encoding) > 1 ||
          !beast::iequals(m[http::field::transfer_encoding], "chunked")) {
        return Refuse(400, "only 'Transfer-Encoding: chunked' is served");
      }
    }
    if (NeedsFraming(m.method()) && !parser_->content_length() && !parser_->chunked()) {
      return Refuse(411, "a request body needs Content-Length or chunked Transfer-Encoding");
    }
    if (parser_->content_length() && *parser_->content_length() > options().max_body_bytes) {
      return RefuseOversize();
    }
    if (parser_->is_done()) return Handle();

    parser_->get().body() = state_->bodies.Take();
    if (beast::iequals(m[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(options().body_timeout);
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    // Beast reads as much as the buffer's free capacity (at least 512 bytes): without room, a
    // large body would take a read, a timer and a completion per 512 bytes.
    if (buffer_.capacity() < kBodyReadBytes) buffer_.reserve(kBodyReadBytes);
    stream_.expires_after(options().body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Handle();
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) return RefuseOversize();
    if (ec == http::error::header_limit) {
      return Refuse(431, "the request headers exceed " +
                             std::to_string(options().max_header_bytes) + " bytes");
    }
    // A deadline missed, the peer gone or a clean close between requests: nobody to answer.
    if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
        ec == http::error::partial_message ||
        &ec.category() != &http::make_error_code(http::error::need_more).category()) {
      return Close();
    }
    Refuse(400, "malformed HTTP request: " + ec.message());
  }

  void RefuseOversize() {
    Refuse(413, "the request body exceeds the limit of " +
                    std::to_string(options().max_body_bytes) + " bytes");
  }

  void Handle() {
    HttpRequest request = HeadOf(parser_->get());
    request.body = std::move(parser_->get().body());
    request.body.append(HttpServer::kBodyPadding, '\0');
    request.body_padding = HttpServer::kBodyPadding;
    const bool keep_alive = parser_->get().keep_alive();
    parser_.reset();

    HttpResponse response;
    try {
      state_->handler(request, &response);
    } catch (const std::exception& e) {
      spdlog::error("http server: handler threw method={} path={} error={}", request.method,
                    request.path, e.what());
      request.body.clear();
      response = RenderError(*state_, request, 500, "internal error");
    } catch (...) {
      spdlog::error("http server: handler threw method={} path={}", request.method, request.path);
      request.body.clear();
      response = RenderError(*state_, request, 500, "internal error");
    }
    state_->bodies.Give(std::move(request.body));
    Write(std::move(response), keep_alive);
  }

  // Answers a request the server refuses and closes the connection, lingering for the client.
  void Refuse(int status, const std::string& message) {
    HttpRequest head;
    if (parser_) head = HeadOf(parser_->get());
    if (parser_) state_->bodies.Give(std::move(parser_->get().body()));
    parser_.reset();
    Write(RenderError(*state_, head, status, message), /*keep_alive=*/false);
  }

  void Write(HttpResponse&& response, bool keep_alive) {
    response_.emplace(ToBeast(std::move(response), keep_alive));
    stream_.expires_after(options().body_timeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        self->response_.reset();
                        if (ec) return self->Close();
                        if (keep_alive) return self->AwaitRequest();
                        self->Linger();
                      });
  }

  // Stops sending and drops what the client still sends, for a while: closing a socket with
  // unread bytes resets it, and the client (still writing a refused body) would lose the reply.
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(options().linger_timeout);
    Drain();
  }

  void Drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  ServerState* const state_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::optional<http::response<http::string_body>> response_;
};

// Every connection is a descriptor: a soft limit below the cap (Debian's default is 1,024) would
// make accept() fail long before the cap holds. Raises the soft limit as far as the hard limit
// allows, with room for the rest of the process (the store's files, ZeroMQ's sockets).
void RaiseDescriptorLimit(size_t max_connections) {
  constexpr rlim_t kRoom = 1024;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + kRoom;
  if (limit.rlim_cur >= wanted) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  if (limit.rlim_cur > before && setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    spdlog::info("http server: raised the descriptor limit from={} to={}", before, limit.rlim_cur);
  }
  if (limit.rlim_cur < wanted) {
    spdlog::warn(
        "http server: the descriptor limit {} is below max_connections={} plus {} for the rest of "
        "the process; accept() will fail before the connection cap holds",
        limit.rlim_cur, max_connections, kRoom);
  }
}

}  // namespace

struct HttpServer::Impl {
  Impl(const Options& o, Handler h, ErrorRenderer r)
      : state(o, std::move(h), std::move(r)),
        ioc(std::make_unique<asio::io_context>(o.threads)),
        work(asio::make_work_guard(*ioc)),
        acceptor(std::make_unique<tcp::acceptor>(*ioc)),
        retry_timer(std::make_unique<asio::steady_timer>(*ioc)) {}

  void Accept() {
    acceptor->async_accept(asio::make_strand(*ioc), [this](beast::error_code ec, tcp::socket s) {
      OnAccept(ec, std::move(s));
    });
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (ec) {
      // Out of file descriptors, most likely: retry shortly rather than spin.
      spdlog::warn("http server: accept failed error={}", ec.message());
      retry_timer->expires_after(std::chrono::milliseconds(100));
      retry_timer->async_wait([this](beast::error_code e) {
        if (!e) Accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (state.open_connections.load() >= state.options.max_connections) {
      RefuseAtCap(std::move(socket));
    } else {
      std::make_shared<Session>(std::move(socket), &state)->Start();
    }
    Accept();
  }

  // A 503 sent without waiting (a fresh socket's send buffer takes it), then the close.
  void RefuseAtCap(tcp::socket socket) {
    HttpResponse r = RenderError(state, HttpRequest{}, 503,
                                 "the server has " + std::to_string(state.options.max_connections) +
                                     " connections open, its limit; retry later");
    std::ostringstream out;
    out << ToBeast(std::move(r), /*keep_alive=*/false);
    const std::string bytes = out.str();
    [[maybe_unused]] ssize_t sent =
        ::send(socket.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    // One line per 10 s at most: a flood at the cap must not become a flood of log lines.
    const uint64_t refused = refused_at_cap.fetch_add(1) + 1;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_cap_log > std::chrono::seconds(10)) {
      last_cap_log = now;
      spdlog::warn("http server: connection refused at the cap max_connections={} refused_total={}",
                   state.options.max_connections, refused);
    }
  }

  void Run() {
    // A throwing completion handler must not end the thread (and with it the process).
    for (;;) {
      try {
        ioc->run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("http server: an I/O handler threw error={}", e.what());
      }
    }
  }

  ServerState state;
  std::unique_ptr<asio::io_context> ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> retry_timer;
  std::vector<std::thread> threads;
  std::atomic<uint64_t> refused_at_cap{0};
  // Only the accept handler touches it, and accepts run one at a time.
  std::chrono::steady_clock::time_point last_cap_log{};
  int port = 0;
  bool stopped = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const Options& options, Handler handler,
                                                      ErrorRenderer render_error) {
  if (options.threads < 1) return Status::InvalidArgument("the HTTP server needs a thread");
  if (options.port < 0 || options.port > 65535) {
    return Status::InvalidArgument("HTTP port " + std::to_string(options.port) +
                                   " is out of range");
  }
  if (options.max_connections < 1) {
    return Status::InvalidArgument("the HTTP server needs max_connections >= 1");
  }
  RaiseDescriptorLimit(options.max_connections);
  auto impl = std::make_unique<Impl>(options, std::move(handler), std::move(render_error));
  const std::string where = options.host + ":" + std::to_string(options.port);
  beast::error_code ec;
  tcp::resolver resolver(*impl->ioc);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return Status::InvalidArgument("HTTP host '" + options.host + "' does not resolve: " +
                                   (ec ? ec.message() : std::string("no address")));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  tcp::acceptor& acceptor = *impl->acceptor;
  // No SO_REUSEPORT: a second server must not bind the same port and share its connections.
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("binding the HTTP server to " + where + " failed: " + ec.message());
  }
  impl->port = acceptor.local_endpoint(ec).port();
  impl->Accept();
  Impl* raw = impl.get();
  for (int i = 0; i < options.threads; ++i) raw->threads.emplace_back([raw] { raw->Run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->port; }

size_t HttpServer::open_connections() const { return impl_->state.open_connections.load(); }

void HttpServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc->stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  // Destroying the context destroys the pending operations and with them every connection;
  // the acceptor and timer go first, as they use the context.
  beast::error_code ignored;
  impl_->acceptor->close(ignored);
  impl_->acceptor.reset();
  impl_->retry_timer.reset();
  impl_->work.reset();
  impl_->ioc.reset();
}

Status ParseListenAddress(std::string_view text, std::string_view flag,
                          HttpServer::Options* options) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument(std::string(flag) + " wants HOST:PORT, got '" +
                                   std::string(text) + "'");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return Status::InvalidArgument(std::string(flag) + ": invalid port '" + std::string(port_text) +
                                   "'");
  }
  options->host = host.empty() ? "127.0.0.1" : std::string(host);
  options->port = port;
  return Status::OK();
}

}  // namespace pinstream
