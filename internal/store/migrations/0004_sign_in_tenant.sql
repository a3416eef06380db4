-- The tenant a single-tenant app registration signs in through (issue 13): its Directory (tenant)
-- ID or a verified domain, put in the sign-in authority before the first sync pins tenant_id.
-- Empty keeps the shared "organizations" endpoint, which multi-tenant registrations may use.
ALTER TABLE directories ADD COLUMN sign_in_tenant TEXT NOT NULL DEFAULT '';
