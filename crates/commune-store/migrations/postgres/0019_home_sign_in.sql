-- Chapter members sign in at their commune with their home account: the chapter's instance is
-- their OpenID provider. The commune keeps, per link, the provider's issuer and the public client
-- the chapter registered for it, and per remote member their subject at home; the chapter keeps
-- the digest of the roster it last sent, so it sends it again (by itself) when its members change;
-- and the commune keeps how many members it agreed to take from each chapter.
ALTER TABLE ap_links ADD COLUMN oidc_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE ap_links ADD COLUMN oidc_client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE ap_links ADD COLUMN roster_digest TEXT NOT NULL DEFAULT '';
-- The commune's side: how many members the commune agreed to take from the chapter.
ALTER TABLE ap_links ADD COLUMN max_members BIGINT NOT NULL DEFAULT 0;
-- Links agreed before there was a bound keep what they had: the largest roster.
UPDATE ap_links SET max_members = 10000 WHERE side = 'commune';
ALTER TABLE ap_remote_members ADD COLUMN subject TEXT NOT NULL DEFAULT '';
CREATE INDEX ap_remote_members_by_subject ON ap_remote_members (chapter, subject);
