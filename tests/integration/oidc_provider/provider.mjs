// An OpenID provider no one on this project wrote (panva/oidc-provider, certified by the
// OpenID Foundation), as the peer of the gateway's generic `oidc` plugin.
//
//   node provider.mjs --port N --cert server.pem --key server-key.pem --client-id ID
//                     --client-secret S --redirect-uri URI --ready-file FILE
//
// Serves over HTTPS on 127.0.0.1 (the gateway refuses plain http to a provider), issuer
// https://127.0.0.1:N. One client with exactly one redirect URI, PKCE S256 required. Sign-in is
// non-interactive: the interaction endpoint logs the one fixed account in and grants the
// requested scopes, so a scripted browser completes the whole flow. The account's name and
// email are canaries the gateway must drop.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import https from 'node:https';

import Provider from 'oidc-provider';

function parseArguments(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`bad argument ${argv[i]}`);
    }
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ['port', 'cert', 'key', 'client-id', 'client-secret', 'redirect-uri',
    'ready-file']) {
    if (!args[required]) throw new Error(`--${required} is required`);
  }
  return args;
}

const args = parseArguments(process.argv.slice(2));
const issuer = `https://127.0.0.1:${args.port}`;

const ACCOUNT = {
  sub: 'interop-account-0001',
  hd: 'interop.example',
  given_name: 'Iris',
  family_name: 'Zzinteropfamilycanary',
  name: 'Iris Zzinteropfamilycanary',
  email: 'zz.interop.canary@interop.example',
  email_verified: true,
};

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  .export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: [args['redirect-uri']],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { methods: ['S256'], required: () => true },
  jwks: { keys: [{ ...signingKey, kid: 'interop-rs256', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  // `hd` stands in for Google's Workspace-domain claim, released with `openid`.
  claims: {
    openid: ['sub', 'hd'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  // Put scope-requested claims in the ID token: the gateway reads no userinfo.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  async findAccount(ctx, id) {
    if (id !== ACCOUNT.sub) return undefined;
    return { accountId: id, claims: async () => ({ ...ACCOUNT }) };
  },
});

// The interaction endpoint, completed without a person: log the fixed account in, then grant
// what the client asked for.
async function interact(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT.sub } },
      { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } },
    { mergeWithLastSubmission: true });
}

const callback = provider.callback();
const server = https.createServer({
  cert: readFileSync(args.cert),
  key: readFileSync(args.key),
}, (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interact(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(`interaction failed: ${error.message}`);
    });
    return;
  }
  callback(req, res);
});

server.listen(Number(args.port), '127.0.0.1', () => {
  console.log(`oidc-provider ${issuer}/.well-known/openid-configuration`);
  writeFileSync(`${args['ready-file']}.tmp`, `https_port=${args.port}\n`);
  renameSync(`${args['ready-file']}.tmp`, args['ready-file']);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
