// The `oidc` module: any standards-compliant OpenID provider, named by its discovery URL.
#include "oidc_plugin_base.h"

namespace lmsgw::plugins::google {
namespace {

class GenericOidcPlugin final : public OidcPluginBase {
 public:
  GenericOidcPlugin() : OidcPluginBase("oidc", Flavor::generic) {}
};

}  // namespace
}  // namespace lmsgw::plugins::google

LMSGW_EXPORT_PLUGIN(lmsgw::plugins::google::GenericOidcPlugin)
