// The `google` module: Sign in with Google (Workspace for Education domains by `hd`).
#include "oidc_plugin_base.h"

namespace lmsgw::plugins::google {
namespace {

class GooglePlugin final : public OidcPluginBase {
 public:
  GooglePlugin() : OidcPluginBase("google", Flavor::google) {}
};

}  // namespace
}  // namespace lmsgw::plugins::google

LMSGW_EXPORT_PLUGIN(lmsgw::plugins::google::GooglePlugin)
