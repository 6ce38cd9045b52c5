// A working sign-in plugin. Built three times: as probe_good, as a second library that also
// calls itself probe_good, and as one that calls itself by a name the test does not configure.
#include <memory>
#include <string>

#include "lmsgw/sdk/sdk.h"

namespace {

using namespace lmsgw::sdk;

class FixedRedirect final : public AuthPlugin {
 public:
  Result<LoginRedirect> begin(const LoginRequest& request) noexcept override {
    return guarded([&]() -> Result<LoginRedirect> {
      return LoginRedirect{"https://provider.example/authorize?state=" + request.state, "", ""};
    });
  }
  Result<ExternalIdentity> complete(const CallbackRequest&) noexcept override {
    return Error{ErrorCode::provider_denied, "this probe never completes a sign-in"};
  }
};

class GoodPlugin final : public Plugin {
 public:
  std::string_view name() const noexcept override { return LMSGW_PROBE_NAME; }
  std::string_view version() const noexcept override { return "1.2.3"; }
  Capabilities capabilities() const noexcept override { return {true, false}; }

  Result<std::unique_ptr<AuthPlugin>> create_auth(PluginContext& context) noexcept override {
    return guarded([&]() -> Result<std::unique_ptr<AuthPlugin>> {
      if (auto keys = context.config().check_keys({"fail"}); !keys) return keys.error();
      auto fail = context.config().get_bool("fail", false);
      if (!fail) return fail.error();
      if (*fail) return context.config().find("fail")->error("asked to fail");
      return std::unique_ptr<AuthPlugin>(std::make_unique<FixedRedirect>());
    });
  }
};

}  // namespace

LMSGW_EXPORT_PLUGIN(GoodPlugin)
