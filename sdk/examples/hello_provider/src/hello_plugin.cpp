// The library's entry point: the one `Plugin` the gateway makes from lmsgw_hello.so.
#include "hello_sign_in.h"
#include "lmsgw/sdk/plugin.h"

namespace hello {
namespace {

class HelloPlugin final : public lmsgw::sdk::Plugin {
 public:
  // lmsgw::sdk::Plugin
  std::string_view name() const noexcept override { return "hello"; }
  std::string_view version() const noexcept override { return "1.0.0"; }
  lmsgw::sdk::Capabilities capabilities() const noexcept override { return {.sign_in = true}; }

  lmsgw::sdk::Result<std::unique_ptr<lmsgw::sdk::AuthPlugin>> create_auth(
      lmsgw::sdk::PluginContext& context) noexcept override {
    return lmsgw::sdk::guarded([&] { return make_sign_in(context); });
  }
};

}  // namespace
}  // namespace hello

// Exports the ABI version symbol and the factory the gateway looks for.
LMSGW_EXPORT_PLUGIN(hello::HelloPlugin)
