"""Who is calling: `Authorization: Bearer <api key>`, checked against the stored hashes."""

from __future__ import annotations

from dataclasses import dataclass

from huike.core.errors import Unauthorized


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    key_id: str


def authenticate(authorization: str | None) -> Caller:
    """Raises Unauthorized (401) for a missing, malformed, unknown or revoked key."""
    from huike.store.api_keys import authenticate as find_key

    scheme, _, secret = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send 'Authorization: Bearer <api key>'")
    key = find_key(secret.strip())
    if key is None:
        raise Unauthorized("unknown or revoked API key")
    return Caller(tenant_id=key.tenant_id, key_id=key.key_id)
