// Asio's TLS support compiled once (see asio.cc); a library of its own so that only the
// targets that speak TLS link OpenSSL.
#include <boost/asio/ssl/impl/src.hpp>
