// The three transports a session runs over: TCP, TLS over TCP, and a unix socket. Each is a
// Beast basic_stream (timeouts for the HTTP phase) or an SSL stream over one.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace agentd {

using TcpStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using UnixStream =
    boost::beast::basic_stream<boost::asio::local::stream_protocol, boost::asio::any_io_executor,
                               boost::beast::unlimited_rate_policy>;

}  // namespace agentd
