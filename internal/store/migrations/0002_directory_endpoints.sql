-- Per-directory endpoints (issue 16): the Graph base URL, the sign-in authority root and the
-- Atlassian organization API root, for proxies, sovereign clouds and test tenants. Empty keeps
-- the cloud's default, so existing directories behave as before.
ALTER TABLE directories ADD COLUMN graph_url TEXT NOT NULL DEFAULT '';
ALTER TABLE directories ADD COLUMN authority_url TEXT NOT NULL DEFAULT '';
ALTER TABLE directories ADD COLUMN org_url TEXT NOT NULL DEFAULT '';
