// Beast's compiled part (HTTP parser, WebSocket handshake, base64/sha1), built once: with
// BOOST_BEAST_SEPARATE_COMPILATION the daemon's and clients' translation units include only
// declarations.
#include <boost/beast/src.hpp>
