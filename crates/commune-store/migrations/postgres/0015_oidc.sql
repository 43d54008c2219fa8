-- Commune as an OpenID Connect provider: signing keys (private halves sealed with the instance's
-- key file), the clients stewards register, members' consents, and grants with their one-time
-- codes and refresh tokens (only hashes of codes, secrets and tokens are stored).

CREATE TABLE oidc_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    alg TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    sealed_private TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retire_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX oidc_keys_one_active ON oidc_keys (state) WHERE state = 'active';
CREATE UNIQUE INDEX oidc_keys_one_next ON oidc_keys (state) WHERE state = 'next';

CREATE TABLE oidc_clients (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    secret_hash TEXT NOT NULL DEFAULT '',
    redirect_uris TEXT NOT NULL,
    post_logout_uris TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oidc_clients_org ON oidc_clients (org_id, created_at);

CREATE TABLE oidc_consents (
    member_id TEXT NOT NULL REFERENCES members(id),
    client_id TEXT NOT NULL REFERENCES oidc_clients(id),
    scopes TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, client_id)
);

CREATE TABLE oidc_grants (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES oidc_clients(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    scopes TEXT NOT NULL,
    nonce TEXT,
    auth_time BIGINT NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    redirect_uri TEXT NOT NULL,
    challenge TEXT,
    code_expires_at BIGINT NOT NULL,
    code_used_at BIGINT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oidc_grants_member ON oidc_grants (member_id, client_id);

CREATE TABLE oidc_refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL REFERENCES oidc_grants(id),
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX oidc_refresh_grant ON oidc_refresh_tokens (grant_id);
