// A plugin whose constructor throws; the SDK's export macro turns that into an error.
#include <stdexcept>

#include "lmsgw/sdk/sdk.h"

namespace {

class CtorThrows final : public lmsgw::sdk::Plugin {
 public:
  CtorThrows() { throw std::runtime_error("constructor exploded"); }
  std::string_view name() const noexcept override { return "probe_ctor_throws"; }
  std::string_view version() const noexcept override { return "0"; }
  lmsgw::sdk::Capabilities capabilities() const noexcept override { return {}; }
};

}  // namespace

LMSGW_EXPORT_PLUGIN(CtorThrows)
