// The conformance checks (see conformance.h). Each check starts its own sign-in runs: a fresh
// plugin instance over fresh provider mocks, wrapped so that the suite sees every provider call
// and every token verification, and can replace one answer with a fault.
#include "lmsgw/sdk/testing/conformance.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "lmsgw/sdk/encoding.h"

namespace lmsgw::sdk::testing {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Return;

constexpr std::string_view kUnknownConfigKey = "lmsgw_conformance_unknown_key";
constexpr std::size_t kMaxErrorDetail = 1024;
// Callback values at least this long (and without spaces, unlike scope lists) are codes or
// tokens: no error detail or log line may repeat them.
constexpr std::size_t kMinSecretValueLength = 8;
constexpr std::string_view kTokenMembers[] = {"access_token", "id_token", "refresh_token"};
constexpr std::string_view kAllowedAlgorithms[] = {"RS256", "ES256", "EdDSA"};

std::string describe(const Error& error) {
  return std::string(to_string(error.code)) + ": " + error.detail;
}

// ---------------------------------------------------------------------------------------------
// URLs and form bodies

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex(text[i + 1]);
      const int low = hex(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

using Params = std::multimap<std::string, std::string>;

// application/x-www-form-urlencoded pairs; nullopt on a malformed escape.
std::optional<Params> parse_form(std::string_view encoded) {
  Params params;
  while (!encoded.empty()) {
    const std::size_t end = encoded.find('&');
    const std::string_view pair = encoded.substr(0, end);
    encoded = end == std::string_view::npos ? std::string_view() : encoded.substr(end + 1);
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    auto name = percent_decode(pair.substr(0, equals));
    auto value = percent_decode(equals == std::string_view::npos ? std::string_view()
                                                                 : pair.substr(equals + 1));
    if (!name || !value) return std::nullopt;
    params.emplace(std::move(*name), std::move(*value));
  }
  return params;
}

std::optional<Params> parse_query(std::string_view url) {
  url = url.substr(0, url.find('#'));
  const std::size_t question = url.find('?');
  if (question == std::string_view::npos) return Params{};
  return parse_form(url.substr(question + 1));
}

std::vector<std::string> values_of(const Params& params, const std::string& name) {
  std::vector<std::string> values;
  auto [first, last] = params.equal_range(name);
  for (auto it = first; it != last; ++it) values.push_back(it->second);
  return values;
}

std::string without_query(const std::string& url) { return url.substr(0, url.find('?')); }

// The parameters a request carries in its query and, for a form POST, its body.
Params request_params(const HttpRequest& request) {
  Params params = parse_query(request.url).value_or(Params{});
  if (find_header(request.headers, "Content-Type")
          .starts_with("application/x-www-form-urlencoded")) {
    if (auto form = parse_form(request.body)) params.merge(*form);
  }
  return params;
}

bool has_control_characters(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || byte == ' ') return true;
  }
  return false;
}

// Three dot-separated, non-empty base64url segments: the only shape a verifier accepts.
bool is_compact_jws(std::string_view text) {
  int segments = 1;
  std::size_t length = 0;
  for (char c : text) {
    if (c == '.') {
      if (length == 0) return false;
      ++segments;
      length = 0;
      continue;
    }
    const bool base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!base64url) return false;
    ++length;
  }
  return segments == 3 && length > 0;
}

// ---------------------------------------------------------------------------------------------
// JSON answers

std::optional<boost::json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec) return std::nullopt;
  return value;
}

// Replaces every string, number and boolean, at any depth, with `replacement`.
void replace_scalars(boost::json::value& value, const boost::json::value& replacement) {
  switch (value.kind()) {
    case boost::json::kind::object:
      for (auto& member : value.get_object()) replace_scalars(member.value(), replacement);
      break;
    case boost::json::kind::array:
      for (auto& item : value.get_array()) replace_scalars(item, replacement);
      break;
    case boost::json::kind::null:
      break;
    default:
      value = replacement;
  }
}

// `text` with every scalar replaced; nullopt when it is not JSON or nothing would change.
std::optional<std::string> with_scalars_replaced(std::string_view text,
                                                 const boost::json::value& replacement) {
  auto value = parse_json(text);
  if (!value) return std::nullopt;
  const std::string before = boost::json::serialize(*value);
  replace_scalars(*value, replacement);
  std::string after = boost::json::serialize(*value);
  if (after == before) return std::nullopt;
  return after;
}

// The string values of the token members of a JSON object answer.
std::vector<std::string> token_values(std::string_view body) {
  std::vector<std::string> tokens;
  auto value = parse_json(body);
  if (!value || !value->is_object()) return tokens;
  for (std::string_view member : kTokenMembers) {
    const boost::json::value* token = value->get_object().if_contains(member);
    if (token != nullptr && token->is_string() && !token->get_string().empty()) {
      tokens.emplace_back(token->get_string());
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Faults

enum class HttpFault {
  unreachable,
  too_large,
  server_error,
  client_error,
  redirect,
  odd_status,
  empty_body,
  html_body,
  binary_body,
  truncated_body,
  top_level_array,
  top_level_null,
  top_level_string,
  empty_object,
  deeply_nested,
  scalars_to_null,
  scalars_to_objects,
  scalars_to_arrays,
};

constexpr HttpFault kHttpFaults[] = {
    HttpFault::unreachable,      HttpFault::too_large,          HttpFault::server_error,
    HttpFault::client_error,     HttpFault::redirect,           HttpFault::odd_status,
    HttpFault::empty_body,       HttpFault::html_body,          HttpFault::binary_body,
    HttpFault::truncated_body,   HttpFault::top_level_array,    HttpFault::top_level_null,
    HttpFault::top_level_string, HttpFault::empty_object,       HttpFault::deeply_nested,
    HttpFault::scalars_to_null,  HttpFault::scalars_to_objects, HttpFault::scalars_to_arrays,
};

std::string_view describe(HttpFault fault) {
  switch (fault) {
    case HttpFault::unreachable:
      return "no answer (upstream_unavailable)";
    case HttpFault::too_large:
      return "an answer over the size limit (limit_exceeded)";
    case HttpFault::server_error:
      return "HTTP 500 with the expected body";
    case HttpFault::client_error:
      return "HTTP 400 with the expected body";
    case HttpFault::redirect:
      return "HTTP 302 with the expected body";
    case HttpFault::odd_status:
      return "HTTP 999 with the expected body";
    case HttpFault::empty_body:
      return "an empty body";
    case HttpFault::html_body:
      return "an HTML error page";
    case HttpFault::binary_body:
      return "binary garbage";
    case HttpFault::truncated_body:
      return "the expected body cut in half";
    case HttpFault::top_level_array:
      return "the JSON body []";
    case HttpFault::top_level_null:
      return "the JSON body null";
    case HttpFault::top_level_string:
      return "a JSON string body";
    case HttpFault::empty_object:
      return "the JSON body {}";
    case HttpFault::deeply_nested:
      return "100000 nested JSON arrays";
    case HttpFault::scalars_to_null:
      return "the expected JSON with every value null";
    case HttpFault::scalars_to_objects:
      return "the expected JSON with every value an object";
    case HttpFault::scalars_to_arrays:
      return "the expected JSON with every value an array";
  }
  return "a fault";
}

// The faulty answer in place of `real`; nullopt when this fault does not apply to it.
std::optional<Result<HttpResponse>> faulty_answer(HttpFault fault,
                                                  const Result<HttpResponse>& real) {
  if (fault == HttpFault::unreachable) {
    return Result<HttpResponse>(
        Error{ErrorCode::upstream_unavailable, "connection refused (conformance fault)"});
  }
  if (fault == HttpFault::too_large) {
    return Result<HttpResponse>(
        Error{ErrorCode::limit_exceeded, "response over max_response_bytes (conformance fault)"});
  }
  if (!real.ok()) return std::nullopt;
  HttpResponse answer = *real;
  auto with_body = [&](std::string body) {
    answer.body = std::move(body);
    return std::optional<Result<HttpResponse>>(answer);
  };
  auto with_replaced_scalars = [&](boost::json::value replacement) {
    auto body = with_scalars_replaced(real->body, replacement);
    return body ? with_body(std::move(*body)) : std::nullopt;
  };
  switch (fault) {
    case HttpFault::server_error:
      answer.status = 500;
      return answer;
    case HttpFault::client_error:
      answer.status = 400;
      return answer;
    case HttpFault::redirect:
      answer.status = 302;
      answer.headers.emplace_back("Location", "https://elsewhere.example/");
      return answer;
    case HttpFault::odd_status:
      answer.status = 999;
      return answer;
    case HttpFault::empty_body:
      return real->body.empty() ? std::nullopt : with_body("");
    case HttpFault::html_body:
      answer.headers = {{"Content-Type", "text/html"}};
      return with_body("<!doctype html><html><body><h1>503 Service Unavailable</h1></body></html>");
    case HttpFault::binary_body: {
      std::string bytes(1024, '\0');
      for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i % 256);
      return with_body(std::move(bytes));
    }
    case HttpFault::truncated_body:
      return real->body.size() < 2 ? std::nullopt
                                   : with_body(real->body.substr(0, real->body.size() / 2));
    case HttpFault::top_level_array:
      return with_body("[]");
    case HttpFault::top_level_null:
      return with_body("null");
    case HttpFault::top_level_string:
      return with_body(R"("ok")");
    case HttpFault::empty_object:
      return real->body == "{}" ? std::nullopt : with_body("{}");
    case HttpFault::deeply_nested:
      return with_body(std::string(100'000, '['));
    case HttpFault::scalars_to_null:
      return with_replaced_scalars(nullptr);
    case HttpFault::scalars_to_objects:
      return with_replaced_scalars(boost::json::object());
    case HttpFault::scalars_to_arrays:
      return with_replaced_scalars(boost::json::array());
    case HttpFault::unreachable:
    case HttpFault::too_large:
      break;
  }
  return std::nullopt;
}

enum class VerifierFault {
  refused,
  keys_unavailable,
  claims_not_json,
  claims_array,
  claims_empty_object,
  claims_null_values,
  claims_object_values,
};

constexpr VerifierFault kVerifierFaults[] = {
    VerifierFault::refused,
    VerifierFault::keys_unavailable,
    VerifierFault::claims_not_json,
    VerifierFault::claims_array,
    VerifierFault::claims_empty_object,
    VerifierFault::claims_null_values,
    VerifierFault::claims_object_values,
};

std::string_view describe(VerifierFault fault) {
  switch (fault) {
    case VerifierFault::refused:
      return "a refusal (token_invalid)";
    case VerifierFault::keys_unavailable:
      return "no keys (upstream_unavailable)";
    case VerifierFault::claims_not_json:
      return "claims that are not JSON";
    case VerifierFault::claims_array:
      return "claims that are a JSON array";
    case VerifierFault::claims_empty_object:
      return "the claims {}";
    case VerifierFault::claims_null_values:
      return "the expected claims with every value null";
    case VerifierFault::claims_object_values:
      return "the expected claims with every value an object";
  }
  return "a fault";
}

std::optional<Result<VerifiedJwt>> faulty_verification(VerifierFault fault,
                                                       const Result<VerifiedJwt>& real) {
  if (fault == VerifierFault::refused) {
    return Result<VerifiedJwt>(
        Error{ErrorCode::token_invalid, "signature does not verify (conformance fault)"});
  }
  if (fault == VerifierFault::keys_unavailable) {
    return Result<VerifiedJwt>(
        Error{ErrorCode::upstream_unavailable, "JWKS unreachable (conformance fault)"});
  }
  if (!real.ok()) return std::nullopt;
  VerifiedJwt verified = *real;
  auto with_claims = [&](std::optional<std::string> claims) -> std::optional<Result<VerifiedJwt>> {
    if (!claims) return std::nullopt;
    verified.claims = std::move(*claims);
    return Result<VerifiedJwt>(verified);
  };
  switch (fault) {
    case VerifierFault::claims_not_json:
      return with_claims("not json");
    case VerifierFault::claims_array:
      return with_claims("[]");
    case VerifierFault::claims_empty_object:
      return with_claims(real->claims == "{}" ? std::nullopt : std::optional<std::string>("{}"));
    case VerifierFault::claims_null_values:
      return with_claims(with_scalars_replaced(real->claims, nullptr));
    case VerifierFault::claims_object_values:
      return with_claims(with_scalars_replaced(real->claims, boost::json::object()));
    case VerifierFault::refused:
    case VerifierFault::keys_unavailable:
      break;
  }
  return std::nullopt;
}

struct Faults {
  std::optional<std::pair<std::size_t, HttpFault>> http;
  std::optional<std::pair<std::size_t, VerifierFault>> verification;
};

// ---------------------------------------------------------------------------------------------
// The plugin's view of the provider: the author's mocks, seen and faulted by the suite

struct HttpExchange {
  HttpRequest request;
  Result<HttpResponse> answer;
};

class ObservedHttp final : public HttpClient {
 public:
  ObservedHttp(HttpClient& provider, std::optional<std::pair<std::size_t, HttpFault>> fault)
      : provider_(provider), fault_(fault) {}

  Result<HttpResponse> send(const HttpRequest& request) noexcept override {
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      index = calls_++;
    }
    Result<HttpResponse> answer = provider_.send(request);
    if (fault_ && fault_->first == index) {
      if (auto faulty = faulty_answer(fault_->second, answer)) answer = std::move(*faulty);
    }
    std::lock_guard lock(mutex_);
    exchanges_.push_back({request, answer});
    return answer;
  }

  std::vector<HttpExchange> exchanges() const {
    std::lock_guard lock(mutex_);
    return exchanges_;
  }

 private:
  HttpClient& provider_;
  std::optional<std::pair<std::size_t, HttpFault>> fault_;
  mutable std::mutex mutex_;
  std::size_t calls_ = 0;
  std::vector<HttpExchange> exchanges_;
};

struct Verification {
  std::string compact;
  JwtCheck check;
  Result<VerifiedJwt> answer;
};

// Besides faults, does what the real verifier does and mocks scripted for any token would
// not: refuses what is not a compact JWS, and a `nonce` claim other than the one required.
class ObservedVerifier final : public TokenVerifier {
 public:
  ObservedVerifier(TokenVerifier& provider,
                   std::optional<std::pair<std::size_t, VerifierFault>> fault)
      : provider_(provider), fault_(fault) {}

  Result<VerifiedJwt> verify(std::string_view compact, const JwtCheck& check) noexcept override {
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      index = calls_++;
    }
    Result<VerifiedJwt> answer =
        is_compact_jws(compact)
            ? provider_.verify(compact, check)
            : Result<VerifiedJwt>(Error{ErrorCode::token_invalid, "not a compact JWS"});
    if (answer.ok() && check.nonce && !nonce_matches(answer->claims, *check.nonce)) {
      answer = Error{ErrorCode::token_invalid, "nonce does not match"};
    }
    if (fault_ && fault_->first == index) {
      if (auto faulty = faulty_verification(fault_->second, answer)) answer = std::move(*faulty);
    }
    std::lock_guard lock(mutex_);
    verifications_.push_back({std::string(compact), check, answer});
    return answer;
  }

  std::vector<Verification> verifications() const {
    std::lock_guard lock(mutex_);
    return verifications_;
  }

 private:
  static bool nonce_matches(const std::string& claims, const std::string& nonce) {
    auto value = parse_json(claims);
    if (!value || !value->is_object()) return false;
    const boost::json::value* claim = value->get_object().if_contains("nonce");
    return claim != nullptr && claim->is_string() && claim->get_string() == nonce;
  }

  TokenVerifier& provider_;
  std::optional<std::pair<std::size_t, VerifierFault>> fault_;
  mutable std::mutex mutex_;
  std::size_t calls_ = 0;
  std::vector<Verification> verifications_;
};

// ---------------------------------------------------------------------------------------------
// One sign-in run

std::string random_token(std::string_view prefix) {
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t n = ++counter;
  std::string bytes(32, '\0');
  std::uint64_t x = n * 0x9E3779B97F4A7C15ull;
  for (char& c : bytes) {
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    c = static_cast<char>(x >> 56);
  }
  return std::string(prefix) + base64url_encode(bytes);
}

LoginRequest fresh_login(const ConformanceTarget& target) {
  LoginRequest login;
  login.redirect_uri = target.redirect_uri;
  login.state = random_token("st");
  login.nonce = random_token("no");
  login.code_challenge = base64url_encode(random_token("cc").substr(0, 32));
  login.params = target.login_params;
  return login;
}

StartedLogin started(const LoginRequest& login, const LoginRedirect& redirect) {
  // The verifier a real core keeps is secret; the suite only needs it to be distinct.
  return StartedLogin{login.nonce, "cv" + login.state + login.nonce, redirect.flow_data};
}

class SignInRun {
 public:
  explicit SignInRun(const ConformanceTarget& target, Faults faults = {},
                     std::optional<ConfigNode> config = std::nullopt)
      : target_(target),
        http_(mocks_.http, faults.http),
        tokens_(mocks_.tokens, faults.verification),
        secrets_(target.secrets),
        context_(config ? *config : target.config, http_, mocks_.clock, logger_, secrets_,
                 "conformance") {
    context_.use_tokens(tokens_);
    context_.use_crypto(mocks_.crypto);
    for (const auto& [reference, value] : target.secrets) canaries_.push_back(value);
    for (const std::string& canary : target.canaries) canaries_.push_back(canary);
    if (target.provider_setup) target.provider_setup(mocks_);
  }

  ~SignInRun() {
    for (const std::string& line : logger_.lines()) expect_no_canary(line, "a log line");
  }

  SignInRun(const SignInRun&) = delete;
  SignInRun& operator=(const SignInRun&) = delete;

  // Makes the instance through the target's factory.
  Result<void> create() {
    try {
      auto made = target_.create(context_);
      if (!made) return made.error();
      if (*made == nullptr) return Error{ErrorCode::internal, "the factory made no instance"};
      plugin_ = std::move(*made);
      return {};
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the factory threw: " << e.what();
    } catch (...) {
      ADD_FAILURE() << "the factory threw a non-standard exception";
    }
    return Error{ErrorCode::internal, "the factory threw"};
  }

  AuthPlugin& plugin() { return *plugin_; }
  const LoginRequest& login() const { return login_; }
  const std::optional<StartedLogin>& started_login() const { return started_; }

  Result<LoginRedirect> begin(std::map<std::string, std::string> params) {
    login_ = fresh_login(target_);
    login_.params = std::move(params);
    auto redirect = plugin_->begin(login_);
    if (redirect) started_ = started(login_, *redirect);
    return redirect;
  }
  Result<LoginRedirect> begin() { return begin(target_.login_params); }

  // Runs the target's script for the login begin() started.
  std::optional<ScriptedSignIn> script(const LoginRedirect& redirect) {
    try {
      ScriptedSignIn scripted = target_.sign_in(login_, redirect, mocks_);
      for (const auto& [name, value] : scripted.callback_params) {
        if (value.size() >= kMinSecretValueLength && value.find(' ') == std::string::npos) {
          canaries_.push_back(value);
        }
      }
      return scripted;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the target's sign_in script threw: " << e.what();
    } catch (...) {
      ADD_FAILURE() << "the target's sign_in script threw a non-standard exception";
    }
    return std::nullopt;
  }

  CallbackRequest callback(std::map<std::string, std::string> params, bool with_login) const {
    CallbackRequest request;
    request.redirect_uri = target_.redirect_uri;
    request.params = std::move(params);
    if (with_login) request.login = started_;
    return request;
  }

  Result<ExternalIdentity> complete(const CallbackRequest& request) {
    http_at_complete_ = http_.exchanges().size();
    tokens_at_complete_ = tokens_.verifications().size();
    auto identity = plugin_->complete(request);
    for (const HttpExchange& exchange : http_.exchanges()) {
      if (!exchange.answer.ok()) continue;
      for (std::string& token : token_values(exchange.answer->body)) {
        canaries_.push_back(std::move(token));
      }
    }
    if (started_) canaries_.push_back(started_->code_verifier);
    return identity;
  }

  struct Outcome {
    std::optional<ScriptedSignIn> scripted;
    // Set when every step before complete() succeeded.
    std::optional<Result<ExternalIdentity>> identity;
    // The first error of create, begin or complete.
    std::optional<Error> error;
  };

  // create, begin, the script, complete; stops at the first step that fails.
  Outcome sign_in(bool with_login) {
    Outcome outcome;
    if (auto created = create(); !created) {
      outcome.error = created.error();
      return outcome;
    }
    auto redirect = begin();
    if (!redirect) {
      outcome.error = redirect.error();
      return outcome;
    }
    outcome.scripted = script(*redirect);
    if (!outcome.scripted) return outcome;
    outcome.identity = complete(callback(outcome.scripted->callback_params, with_login));
    if (!outcome.identity->ok()) outcome.error = outcome.identity->error();
    return outcome;
  }

  // Calls made by the last complete().
  std::vector<HttpExchange> http_in_complete() const {
    auto all = http_.exchanges();
    return {all.begin() + static_cast<std::ptrdiff_t>(http_at_complete_), all.end()};
  }
  std::vector<Verification> verifications_in_complete() const {
    auto all = tokens_.verifications();
    return {all.begin() + static_cast<std::ptrdiff_t>(tokens_at_complete_), all.end()};
  }
  std::vector<HttpExchange> http_exchanges() const { return http_.exchanges(); }
  std::vector<Verification> verifications() const { return tokens_.verifications(); }

  // An error as every plugin must report one.
  void expect_clean_error(const Error& error) {
    EXPECT_NE(to_string(error.code), "unknown")
        << "error code " << static_cast<int>(error.code) << " is not an sdk::ErrorCode";
    EXPECT_FALSE(error.detail.empty())
        << "an error must say what failed (" << describe(error) << ")";
    EXPECT_LE(error.detail.size(), kMaxErrorDetail)
        << "an error detail names the step, it does not carry data";
    expect_no_canary(error.detail, "the error detail");
  }

 private:
  void expect_no_canary(const std::string& text, std::string_view where) const {
    for (const std::string& canary : canaries_) {
      if (!canary.empty() && text.find(canary) != std::string::npos) {
        ADD_FAILURE() << where << " holds a secret, token, code or personal value ("
                      << canary.size() << " bytes, starting " << canary.substr(0, 4)
                      << "...): " << text.substr(0, 200);
        return;
      }
    }
  }

  const ConformanceTarget& target_;
  ProviderMocks mocks_;
  ObservedHttp http_;
  ObservedVerifier tokens_;
  RecordingLogger logger_;
  MapSecrets secrets_;
  TestContext context_;
  std::unique_ptr<AuthPlugin> plugin_;
  LoginRequest login_;
  std::optional<StartedLogin> started_;
  std::vector<std::string> canaries_;
  std::size_t http_at_complete_ = 0;
  std::size_t tokens_at_complete_ = 0;
};

#define LMSGW_ASSERT_CREATED(run)                                                   \
  do {                                                                              \
    auto created = (run).create();                                                  \
    ASSERT_TRUE(created.ok()) << "the factory refused the target's configuration: " \
                              << describe(created.error());                         \
  } while (false)

std::string describe(const HttpExchange& exchange) {
  return exchange.request.method + " " + without_query(exchange.request.url);
}

[[noreturn]] void report_escaped_exception() noexcept {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string what = "a non-standard exception";
  if (std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
  } else {
    what = "std::terminate without an exception";
  }
  std::cerr << "\nlmsgw conformance: "
            << (test != nullptr ? std::string(test->test_suite_name()) + "." + test->name() + ": "
                                : std::string())
            << "an exception escaped a noexcept method of the plugin (" << what
            << "). Run entry points through sdk::guarded() and catch library exceptions.\n";
  std::abort();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public pieces

ProviderMocks::ProviderMocks()
    : clock(std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + std::chrono::hours(12)) {
  ON_CALL(http, send(_))
      .WillByDefault(Return(Result<HttpResponse>(
          Error{ErrorCode::upstream_unavailable, "no answer was scripted for this request"})));
  ON_CALL(tokens, verify(_, _))
      .WillByDefault(Return(Result<VerifiedJwt>(
          Error{ErrorCode::token_invalid, "no verification was scripted for this token"})));
  ON_CALL(crypto, constant_time_equal(_, _))
      .WillByDefault([](std::string_view a, std::string_view b) { return a == b; });
}

void PrintTo(const ConformanceTarget& target, std::ostream* out) {
  *out << "ConformanceTarget(" << target.name << ")";
}

bool link_conformance_suite() noexcept { return true; }

void AuthPluginConformance::SetUp() {
  previous_handler_ = std::set_terminate(report_escaped_exception);
  const ConformanceTarget& target = GetParam();
  ASSERT_TRUE(target.create) << "ConformanceTarget::create is not set";
  ASSERT_TRUE(target.sign_in) << "ConformanceTarget::sign_in is not set";
  ASSERT_FALSE(target.redirect_uri.empty()) << "ConformanceTarget::redirect_uri is empty";
}

void AuthPluginConformance::TearDown() { std::set_terminate(previous_handler_); }

// ---------------------------------------------------------------------------------------------
// Configuration

TEST_P(AuthPluginConformance, CreatesAnInstanceFromItsConfiguration) {
  SignInRun run(GetParam());
  LMSGW_ASSERT_CREATED(run);
}

TEST_P(AuthPluginConformance, RefusesAConfigurationKeyItDoesNotKnow) {
  const ConfigNode& config = GetParam().config;
  ASSERT_TRUE(config.is_mapping()) << "ConformanceTarget::config must be a mapping";
  ConfigNode::Entries entries = config.entries();
  const std::string key(kUnknownConfigKey);
  entries.emplace_back(key,
                       ConfigNode::scalar(config.path().empty() ? key : config.path() + "." + key,
                                          {config.location().file, 999}, "x"));
  SignInRun run(GetParam(), {}, ConfigNode::mapping(config.path(), config.location(), entries));
  auto created = run.create();
  ASSERT_FALSE(created.ok()) << "an unknown configuration key was accepted: a misspelt option "
                                "must stop start-up, not be ignored";
  EXPECT_EQ(created.error().code, ErrorCode::config_invalid) << describe(created.error());
  EXPECT_THAT(created.error().detail, HasSubstr(key)) << "the error must name the key";
  run.expect_clean_error(created.error());
}

TEST_P(AuthPluginConformance, RefusesAConfigurationThatIsNotAMapping) {
  const ConfigNode& config = GetParam().config;
  SignInRun run(GetParam(), {},
                ConfigNode::scalar(config.path(), config.location(), "not a mapping"));
  auto created = run.create();
  ASSERT_FALSE(created.ok()) << "a scalar config: block was accepted";
  EXPECT_EQ(created.error().code, ErrorCode::config_invalid) << describe(created.error());
  run.expect_clean_error(created.error());
}

// ---------------------------------------------------------------------------------------------
// begin()

TEST_P(AuthPluginConformance, BeginSendsTheStateAndTheExactRedirectUri) {
  SignInRun run(GetParam());
  LMSGW_ASSERT_CREATED(run);
  auto redirect = run.begin();
  ASSERT_TRUE(redirect.ok()) << describe(redirect.error());
  EXPECT_TRUE(redirect->url.starts_with("https://") || redirect->url.starts_with("http://"))
      << "not an absolute URL: " << redirect->url;
  auto query = parse_query(redirect->url);
  ASSERT_TRUE(query) << "the redirect's query is not valid percent-encoding: " << redirect->url;
  EXPECT_EQ(values_of(*query, "state"), std::vector<std::string>{run.login().state})
      << "the redirect must carry the login's state, once and unchanged";
  EXPECT_EQ(values_of(*query, "redirect_uri"), std::vector<std::string>{GetParam().redirect_uri})
      << "the redirect must carry the connection's exact redirect URI";
}

TEST_P(AuthPluginConformance, BeginSendsTheNonceAndTheS256ChallengeAsDeclared) {
  const ConformanceTarget& target = GetParam();
  SignInRun run(target);
  LMSGW_ASSERT_CREATED(run);
  auto redirect = run.begin();
  ASSERT_TRUE(redirect.ok()) << describe(redirect.error());
  auto query = parse_query(redirect->url);
  ASSERT_TRUE(query) << redirect->url;
  const auto nonces = values_of(*query, "nonce");
  if (target.openid_connect || !nonces.empty()) {
    EXPECT_EQ(nonces, std::vector<std::string>{run.login().nonce})
        << "an OpenID Connect authorization request carries the login's nonce, unchanged";
  }
  const auto challenges = values_of(*query, "code_challenge");
  if (target.pkce || !challenges.empty()) {
    EXPECT_EQ(challenges, std::vector<std::string>{run.login().code_challenge})
        << "a PKCE authorization request carries the login's code_challenge, unchanged";
    EXPECT_EQ(values_of(*query, "code_challenge_method"), std::vector<std::string>{"S256"})
        << "PKCE must use S256, never plain";
  }
}

TEST_P(AuthPluginConformance, BeginKeepsControlCharactersOutOfTheRedirect) {
  const ConformanceTarget& target = GetParam();
  SignInRun run(target);
  LMSGW_ASSERT_CREATED(run);
  const std::string hostile[] = {
      "a\r\nSet-Cookie: session=stolen",
      std::string("nul\0byte", 8),
      std::string(64 * 1024, 'a'),
      "\x7f\x01\x1b[31m",
      "\xff\xfe\xc0\xaf",
      "<script>alert(1)</script>",
      "%0d%0aLocation:%20x",
      "",
  };
  std::vector<std::string> names = {"login_hint"};
  for (const auto& [name, value] : target.login_params) names.push_back(name);
  for (const std::string& name : names) {
    for (const std::string& value : hostile) {
      SCOPED_TRACE("login parameter " + name + " of " + std::to_string(value.size()) + " bytes");
      auto params = target.login_params;
      params[name] = value;
      auto redirect = run.begin(params);
      if (redirect) {
        EXPECT_FALSE(has_control_characters(redirect->url))
            << "the redirect URL holds a control character or space";
        EXPECT_FALSE(has_control_characters(redirect->return_to))
            << "the return URL holds a control character or space";
      } else {
        run.expect_clean_error(redirect.error());
      }
    }
  }
}

TEST_P(AuthPluginConformance, BeginIsSafeToCallFromSeveralThreads) {
  const ConformanceTarget& target = GetParam();
  SignInRun run(target);
  LMSGW_ASSERT_CREATED(run);
  AuthPlugin& plugin = run.plugin();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const LoginRequest login = fresh_login(target);
        auto redirect = plugin.begin(login);
        auto query = redirect ? parse_query(redirect->url) : std::nullopt;
        if (!query || values_of(*query, "state") != std::vector<std::string>{login.state}) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0) << "concurrent begin() calls failed or mixed up their states";
}

// ---------------------------------------------------------------------------------------------
// complete(): the scripted sign-in

TEST_P(AuthPluginConformance, CompletesTheScriptedSignIn) {
  SignInRun run(GetParam());
  auto outcome = run.sign_in(true);
  ASSERT_TRUE(outcome.scripted) << "the sign-in did not get as far as the script: "
                                << (outcome.error ? describe(*outcome.error) : "");
  ASSERT_FALSE(outcome.scripted->subject.empty()) << "ScriptedSignIn::subject is empty";
  ASSERT_TRUE(outcome.identity->ok()) << describe(outcome.identity->error());
  EXPECT_EQ((*outcome.identity)->subject, outcome.scripted->subject);
}

TEST_P(AuthPluginConformance, RedeemsWithTheExactRedirectUriAndTheVerifier) {
  const ConformanceTarget& target = GetParam();
  SignInRun run(target);
  auto outcome = run.sign_in(true);
  ASSERT_TRUE(outcome.identity && outcome.identity->ok()) << "the scripted sign-in failed";
  bool verifier_sent = false;
  for (const HttpExchange& exchange : run.http_in_complete()) {
    SCOPED_TRACE(describe(exchange));
    EXPECT_TRUE(exchange.request.url.starts_with("https://"))
        << "provider calls go over https only";
    const Params params = request_params(exchange.request);
    for (const std::string& uri : values_of(params, "redirect_uri")) {
      EXPECT_EQ(uri, target.redirect_uri)
          << "the code must be redeemed with the exact redirect URI";
    }
    for (const std::string& verifier : values_of(params, "code_verifier")) {
      EXPECT_EQ(verifier, run.started_login()->code_verifier)
          << "the PKCE verifier must be the one the core kept for this login";
      verifier_sent = true;
    }
  }
  if (target.pkce) {
    EXPECT_TRUE(verifier_sent) << "a PKCE plugin sends the login's code_verifier to the provider";
  }
}

TEST_P(AuthPluginConformance, VerifiesEveryIdTokenItIsGiven) {
  SignInRun run(GetParam());
  auto outcome = run.sign_in(true);
  ASSERT_TRUE(outcome.identity && outcome.identity->ok()) << "the scripted sign-in failed";
  std::vector<std::string> id_tokens;
  for (const auto& [name, value] : outcome.scripted->callback_params) {
    if (name == "id_token") id_tokens.push_back(value);
  }
  for (const HttpExchange& exchange : run.http_in_complete()) {
    if (!exchange.answer.ok()) continue;
    auto body = parse_json(exchange.answer->body);
    if (!body || !body->is_object()) continue;
    const boost::json::value* token = body->get_object().if_contains("id_token");
    if (token != nullptr && token->is_string()) id_tokens.emplace_back(token->get_string());
  }
  const auto verifications = run.verifications_in_complete();
  for (const std::string& id_token : id_tokens) {
    bool verified = false;
    for (const Verification& verification : verifications) {
      verified = verified || (verification.compact == id_token && verification.answer.ok());
    }
    EXPECT_TRUE(verified) << "an id_token the provider sent was never verified, yet the sign-in "
                             "succeeded: never return an identity from an unverified token";
  }
}

TEST_P(AuthPluginConformance, AsksTheVerifierForStrictChecks) {
  const ConformanceTarget& target = GetParam();
  SignInRun run(target);
  auto outcome = run.sign_in(true);
  ASSERT_TRUE(outcome.identity && outcome.identity->ok()) << "the scripted sign-in failed";
  const auto verifications = run.verifications_in_complete();
  if (target.openid_connect) {
    EXPECT_FALSE(verifications.empty()) << "an OpenID Connect sign-in verifies an id_token";
  }
  for (const Verification& verification : verifications) {
    const JwtCheck& check = verification.check;
    EXPECT_TRUE(check.jwks_uri.starts_with("https://")) << "JWKS URI: " << check.jwks_uri;
    EXPECT_FALSE(check.algorithms.empty()) << "no algorithm allowed";
    for (const std::string& algorithm : check.algorithms) {
      EXPECT_NE(std::find(std::begin(kAllowedAlgorithms), std::end(kAllowedAlgorithms), algorithm),
                std::end(kAllowedAlgorithms))
          << "algorithm " << algorithm;
    }
    EXPECT_FALSE(check.issuers.empty()) << "the issuer must be checked";
    EXPECT_FALSE(check.audiences.empty()) << "the audience must be checked";
    for (const auto& value : check.issuers) EXPECT_FALSE(value.empty()) << "an empty issuer";
    for (const auto& value : check.audiences) EXPECT_FALSE(value.empty()) << "an empty audience";
    EXPECT_TRUE(check.require_expiry) << "a sign-in token must expire";
    EXPECT_LE(check.leeway.count(), 300) << "seconds of clock skew allowed";
    if (target.openid_connect) {
      EXPECT_EQ(check.nonce, std::optional<std::string>(run.login().nonce))
          << "the id_token's nonce must be the one of this login";
    }
  }
}

// ---------------------------------------------------------------------------------------------
// complete(): what must be refused

TEST_P(AuthPluginConformance, RefusesACallbackWithoutAStartedLogin) {
  SignInRun run(GetParam());
  auto outcome = run.sign_in(false);
  ASSERT_TRUE(outcome.identity) << "the sign-in did not get as far as complete()";
  if (run.plugin().supports_provider_initiated()) {
    // Provider-initiated sign-in: the core admits it only where the connection allows it.
    if (outcome.identity->ok()) {
      EXPECT_EQ((*outcome.identity)->subject, outcome.scripted->subject);
    } else {
      run.expect_clean_error(outcome.identity->error());
    }
    return;
  }
  ASSERT_FALSE(outcome.identity->ok())
      << "a callback without a started login was completed, and the plugin does not declare "
         "supports_provider_initiated()";
  EXPECT_EQ(outcome.identity->error().code, ErrorCode::state_missing)
      << describe(outcome.identity->error());
  EXPECT_TRUE(run.http_in_complete().empty())
      << "the plugin called the provider for a callback it had to refuse";
  EXPECT_TRUE(run.verifications_in_complete().empty())
      << "the plugin verified a token for a callback it had to refuse";
  run.expect_clean_error(outcome.identity->error());
}

// A callback captured from one sign-in and replayed into another: the provider redeems a code
// once, and an id_token carries the nonce of the login it was issued for. (Completing the very
// same login twice cannot happen: the core makes the state single-use.)
TEST_P(AuthPluginConformance, RefusesAReplayedCallback) {
  SignInRun run(GetParam());
  auto first = run.sign_in(true);
  ASSERT_TRUE(first.identity && first.identity->ok()) << "the scripted sign-in failed";
  auto second_login = run.begin();
  ASSERT_TRUE(second_login.ok()) << describe(second_login.error());
  auto replayed = run.complete(run.callback(first.scripted->callback_params, true));
  EXPECT_FALSE(replayed.ok()) << "a replayed callback signed someone in again (does the script "
                                 "let the provider redeem a code only once? see single_use)";
  if (!replayed.ok()) run.expect_clean_error(replayed.error());
  if (run.plugin().supports_provider_initiated()) {
    auto unsolicited = run.complete(run.callback(first.scripted->callback_params, false));
    EXPECT_FALSE(unsolicited.ok()) << "a replayed provider-initiated callback signed someone in";
    if (!unsolicited.ok()) run.expect_clean_error(unsolicited.error());
  }
}

TEST_P(AuthPluginConformance, ReportsAProviderErrorAsProviderDenied) {
  SignInRun run(GetParam());
  LMSGW_ASSERT_CREATED(run);
  auto redirect = run.begin();
  ASSERT_TRUE(redirect.ok()) << describe(redirect.error());
  auto identity = run.complete(run.callback(
      {{"error", "access_denied"}, {"error_description", "The user denied the request"}}, true));
  ASSERT_FALSE(identity.ok()) << "a callback reporting an error signed someone in";
  EXPECT_EQ(identity.error().code, ErrorCode::provider_denied) << describe(identity.error());
  EXPECT_TRUE(run.http_in_complete().empty()) << "the plugin called the provider after a denial";
  run.expect_clean_error(identity.error());
}

TEST_P(AuthPluginConformance, SurvivesMalformedCallbacks) {
  const ConformanceTarget& target = GetParam();
  std::map<std::string, std::string> scripted_params;
  {
    SignInRun reference(target);
    auto outcome = reference.sign_in(true);
    ASSERT_TRUE(outcome.identity && outcome.identity->ok()) << "the scripted sign-in failed";
    scripted_params = outcome.scripted->callback_params;
  }
  using Mutation = std::pair<std::string, std::function<void(std::map<std::string, std::string>&)>>;
  std::vector<Mutation> mutations = {
      {"no parameters at all", [](auto& params) { params.clear(); }}};
  for (const auto& [name, value] : scripted_params) {
    const std::string key = name;
    mutations.push_back({key + " removed", [key](auto& params) { params.erase(key); }});
    mutations.push_back({key + " empty", [key](auto& params) { params[key].clear(); }});
    mutations.push_back(
        {key + " of 1 MiB", [key](auto& params) { params[key] = std::string(1 << 20, 'A'); }});
    mutations.push_back({key + " with CR LF", [key](auto& params) { params[key] += "\r\nX: y"; }});
    mutations.push_back(
        {key + " with NUL", [key](auto& params) { params[key] += std::string("\0z", 2); }});
    mutations.push_back(
        {key + " not UTF-8", [key](auto& params) { params[key] = "\xff\xfe\xc0\xaf"; }});
  }
  for (const auto& [what, mutate] : mutations) {
    SCOPED_TRACE("callback with " + what);
    SignInRun run(target);
    LMSGW_ASSERT_CREATED(run);
    auto redirect = run.begin();
    ASSERT_TRUE(redirect.ok()) << describe(redirect.error());
    auto scripted = run.script(*redirect);
    ASSERT_TRUE(scripted);
    auto params = scripted->callback_params;
    mutate(params);
    auto identity = run.complete(run.callback(params, true));
    if (identity.ok()) {
      EXPECT_FALSE(params.empty()) << "a callback without any parameter signed someone in";
      EXPECT_EQ(identity->subject, scripted->subject);
    } else {
      run.expect_clean_error(identity.error());
    }
  }
}

TEST_P(AuthPluginConformance, NeverReturnsAnIdentityWhenAProviderCallFails) {
  const ConformanceTarget& target = GetParam();
  std::vector<HttpExchange> calls;
  {
    SignInRun reference(target);
    auto outcome = reference.sign_in(true);
    ASSERT_TRUE(outcome.identity && outcome.identity->ok()) << "the scripted sign-in failed";
    calls = reference.http_exchanges();
  }
  for (std::size_t index = 0; index < calls.size(); ++index) {
    for (HttpFault fault : kHttpFaults) {
      if (!faulty_answer(fault, calls[index].answer)) continue;
      SCOPED_TRACE("provider call " + std::to_string(index + 1) + " (" + describe(calls[index]) +
                   ") answered with " + std::string(describe(fault)));
      SignInRun run(target,
                    Faults{.http = std::make_pair(index, fault), .verification = std::nullopt});
      auto outcome = run.sign_in(true);
      if (outcome.identity && outcome.identity->ok()) {
        ADD_FAILURE() << "the plugin still returned an identity";
      } else if (outcome.error) {
        run.expect_clean_error(*outcome.error);
      }
    }
  }
}

TEST_P(AuthPluginConformance, NeverReturnsAnIdentityTheVerifierDidNotVouchFor) {
  const ConformanceTarget& target = GetParam();
  std::vector<Verification> verifications;
  {
    SignInRun reference(target);
    auto outcome = reference.sign_in(true);
    ASSERT_TRUE(outcome.identity && outcome.identity->ok()) << "the scripted sign-in failed";
    verifications = reference.verifications();
  }
  for (std::size_t index = 0; index < verifications.size(); ++index) {
    for (VerifierFault fault : kVerifierFaults) {
      if (!faulty_verification(fault, verifications[index].answer)) continue;
      SCOPED_TRACE("token verification " + std::to_string(index + 1) + " answered with " +
                   std::string(describe(fault)));
      SignInRun run(target,
                    Faults{.http = std::nullopt, .verification = std::make_pair(index, fault)});
      auto outcome = run.sign_in(true);
      if (outcome.identity && outcome.identity->ok()) {
        ADD_FAILURE() << "the plugin still returned an identity";
      } else if (outcome.error) {
        run.expect_clean_error(*outcome.error);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// handle_signal()

TEST_P(AuthPluginConformance, WebhooksThatAreNotGenuineYieldNoSignal) {
  SignInRun run(GetParam());
  LMSGW_ASSERT_CREATED(run);
  const WebhookRequest forged[] = {
      {"", "", {}, ""},
      {"", "application/json", {}, R"({"type":"user.deleted","data":{"id":"someone"}})"},
      {"", "application/secevent+jwt", {}, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzb21lb25lIn0."},
      {"", "application/x-www-form-urlencoded", {}, "signed_request=abc.def"},
      {"", "application/json", {{"X-Signature", "sha256=00"}}, std::string(1 << 20, '{')},
  };
  // The same forgeries at the channel URLs a provider may call (`/webhooks/{connection}/...`).
  for (std::string_view channel : {"", "deauthorize", "data-deletion", "events"}) {
    for (WebhookRequest request : forged) {
      request.channel = channel;
      SCOPED_TRACE("webhook on channel '" + request.channel + "' of type '" + request.content_type +
                   "', " + std::to_string(request.body.size()) + " bytes");
      auto signals = run.plugin().handle_signal(request);
      ASSERT_FALSE(signals.ok()) << "a forged webhook was accepted";
      run.expect_clean_error(signals.error());
    }
  }
}

}  // namespace lmsgw::sdk::testing
