// The npm `openid-client` (v6) against Commune's OpenID Connect provider, driven by
// oidc_check.py over stdin/stdout (see its docstring for the line protocol). A public client:
// authorization code + PKCE (S256) with no secret; ID token signatures checked against the JWKS
// (`enableNonRepudiationChecks`). Wrong tokens are put into real token responses through
// openid-client's `customFetch` hook, so the library itself must refuse them.
import * as client from 'openid-client'
import * as readline from 'node:readline'

const env = process.env
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]()
async function ask (line) {
  process.stdout.write(line + '\n')
  const { value } = await lines.next()
  return value.slice(value.indexOf(' ') + 1)
}
const check = (name, ok, detail = '') => process.stdout.write(`CHECK ${name} ${ok ? 'ok' : 'FAIL'} ${detail}\n`)

const issuer = new URL(env.OIDC_ISSUER)
let inject = null
// A configuration from discovery, with signature checks and the injection hook. Each keeps its
// own cache of the key set, fetched on its first signature check.
async function configure () {
  const made = await client.discovery(issuer, env.OIDC_CLIENT_ID, undefined, client.None(), {
    execute: [client.allowInsecureRequests]
  })
  client.enableNonRepudiationChecks(made)
  made[client.customFetch] = async (url, options) => {
    const response = await fetch(url, options)
    if (inject === null || !String(url).endsWith('/oauth/token')) return response
    const body = await response.json()
    body.id_token = inject
    inject = null
    return new Response(JSON.stringify(body), { status: response.status, headers: { 'content-type': 'application/json' } })
  }
  return made
}
let config = await configure()
check('discovery', config.serverMetadata().issuer === env.OIDC_ISSUER &&
  config.serverMetadata().code_challenge_methods_supported.includes('S256'))

async function signIn (injected) {
  const verifier = client.randomPKCECodeVerifier()
  const nonce = client.randomNonce()
  const state = client.randomState()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: env.OIDC_REDIRECT,
    scope: 'openid profile email commune:orgs',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state
  })
  const callback = await ask(`AUTHORIZE ${url.href}`)
  if (injected) inject = await ask(`MINT ${injected} ${env.OIDC_CLIENT_ID} ${nonce}`)
  return client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true
  })
}

async function refused (what) {
  try {
    await what()
    return [false, 'accepted']
  } catch (e) {
    return [true, e.code || e.name]
  }
}

const first = await signIn(null)
check('code_+_PKCE,_ID_token_validated_(signature,_iss,_aud,_nonce,_exp)', first.claims().sub === env.OIDC_SUB &&
  first.claims().preferred_username === 'ada')
const info = await client.fetchUserInfo(config, first.access_token, env.OIDC_SUB)
const orgs = (info['commune:orgs'] || []).map(o => o.slug)
check('userinfo_(sub,_commune:orgs)', orgs.includes('bakery'), orgs.join(','))

const refreshed = await client.refreshTokenGrant(config, first.refresh_token)
check('refresh_(rotated_refresh_token,_new_ID_token_validated)',
  refreshed.refresh_token !== first.refresh_token && refreshed.claims().sub === env.OIDC_SUB)

for (const kind of ['wrong_iss', 'wrong_aud', 'expired', 'tampered']) {
  const [ok, why] = await refused(() => signIn(kind))
  check(`refuses_${kind}`, ok, why)
}
const [controlRefused, controlWhy] = await refused(() => signIn('good'))
check('accepts_the_control_token_minted_the_same_way', !controlRefused, controlWhy)

// A rotation: the next key is published first. A client that fetches the key set while both are
// published (any client within its cache lifetime; here a fresh configuration) needs no
// further fetch when the next key starts signing.
const nextKid = await ask('ROTATE')
config = await configure()
const during = await client.refreshTokenGrant(config, refreshed.refresh_token)
const duringKid = JSON.parse(Buffer.from(during.id_token.split('.')[0], 'base64url')).kid
check('rotation:_the_next_key_is_published_before_it_signs', duringKid !== nextKid, `signed by ${duringKid}`)
const kid = await ask('PROMOTE')
inject = await ask(`MINT previous_key ${env.OIDC_CLIENT_ID} -`)
const [oldRefused, oldWhy] = await refused(() => client.refreshTokenGrant(config, during.refresh_token).then(t => {
  during.next = t
}))
check('rotation:_a_token_of_the_previous_key_still_verifies', !oldRefused, oldWhy)
const newer = await client.refreshTokenGrant(config, during.next.refresh_token)
const header = JSON.parse(Buffer.from(newer.id_token.split('.')[0], 'base64url'))
check('rotation:_a_token_of_the_new_key_verifies_without_fetching_the_key_set_again', header.kid === kid && kid === nextKid, header.kid)

const [reuseRefused, reuseWhy] = await refused(() => client.refreshTokenGrant(config, first.refresh_token))
const [afterRefused] = await refused(() => client.refreshTokenGrant(config, newer.refresh_token))
check('reused_refresh_token_refused_and_the_grant_revoked', reuseRefused && afterRefused, reuseWhy)
process.stdout.write('DONE\n')
process.exit(0)
