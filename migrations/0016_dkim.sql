-- DKIM keys (issue 14): one row per domain and selector. The private key is sealed under
-- SECRET_KEY (core/security.h: "v1." + base64url(nonce || secretbox)), as relay passwords are;
-- the public key is kept in clear to print the DNS record. The newest key of a domain signs.
CREATE TABLE dkim_keys (
  id {{pk}},
  domain TEXT NOT NULL,
  selector TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  private_key TEXT NOT NULL,
  public_key TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (domain, selector)
);
