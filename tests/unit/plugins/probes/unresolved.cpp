// Needs a function that nothing provides, so loading it with RTLD_NOW fails.
#include <boost/config.hpp>

extern "C" int lmsgw_probe_missing_function();

extern "C" BOOST_SYMBOL_EXPORT int lmsgw_probe_calls_missing() {
  return lmsgw_probe_missing_function();
}
