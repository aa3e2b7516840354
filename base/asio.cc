// Asio's compiled part, built once for the whole project: with BOOST_ASIO_SEPARATE_COMPILATION
// (set on every target by base/CMakeLists.txt) the other translation units include only
// declarations, so they do not each compile Asio's non-template code again.
#include <boost/asio/impl/src.hpp>
