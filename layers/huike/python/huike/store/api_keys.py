"""Seller API keys: random secrets shown once, stored only as SHA-256 hashes, one tenant each.

Access patterns:
  authenticate a request (by the secret's hash)   GetItem   PK key_hash
  a tenant's keys (admin CLI, newest first)       Query     GSI tenant_id-index (PK tenant_id, SK created_at)
  mark used, revoke                               UpdateItem PK key_hash
  create, never overwriting                       PutItem   condition attribute_not_exists
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from huike.core import clock
from huike.core.errors import NotFound
from huike.store.base import BoundTable, get_or_none, register

KEY_PREFIX = "hk_live_"
# Last-used times are kept to the hour: one write per key per hour, not per request.
LAST_USED_RESOLUTION = timedelta(hours=1)


class TenantKeysIndex(GlobalSecondaryIndex["ApiKey"]):
    class Meta:
        index_name = "tenant_id-index"
        projection = AllProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


@register
class ApiKey(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "api_keys_table"

    key_hash = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute()  # public: names the key in listings and revocation, reveals nothing
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    tenant_index = TenantKeysIndex()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def register_key(tenant_id: str, secret: str, name: str) -> ApiKey:
    """Store a key's hash for a tenant (the secret itself is never stored)."""
    digest = hash_secret(secret)
    key = ApiKey(digest, key_id=f"key_{digest[:12]}", tenant_id=tenant_id, name=name, created_at=clock.now())
    key.save(condition=ApiKey.key_hash.does_not_exist())
    return key


def authenticate(secret: str) -> ApiKey | None:
    """The live key with this secret, or None (unknown or revoked)."""
    key = get_or_none(ApiKey, hash_secret(secret))
    if key is None or key.revoked_at is not None:
        return None
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.update(actions=[ApiKey.last_used_at.set(now)])
    return key


def keys_of(tenant_id: str) -> list[ApiKey]:
    return list(ApiKey.tenant_index.query(tenant_id, scan_index_forward=False))


def revoke(tenant_id: str, key_id: str, at: datetime | None = None) -> ApiKey:
    key = next((k for k in keys_of(tenant_id) if k.key_id == key_id), None)
    if key is None:
        raise NotFound(f"no key {key_id!r} for tenant {tenant_id!r}")
    key.update(actions=[ApiKey.revoked_at.set(at or clock.now())])
    return key
