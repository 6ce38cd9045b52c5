// A shared library that has nothing to do with the gateway.
#include <boost/config.hpp>

extern "C" BOOST_SYMBOL_EXPORT int lmsgw_probe_unrelated() { return 42; }
