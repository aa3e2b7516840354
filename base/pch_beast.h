// Precompiled for the targets that speak HTTP/WebSocket (the daemon, agentctl, their tests and
// benchmarks): pch_asio.h plus Beast.
#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "base/pch_asio.h"
