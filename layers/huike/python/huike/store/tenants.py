"""Tenants.

Access patterns:
  get by tenant_id                                GetItem   PK tenant_id (hot paths: cached_tenant,
                                                  at most one read per TENANT_CACHE_SECONDS per
                                                  container)
  by SMS origination number (inbound replies)     Query     GSI sms_number-index (PK sms_number)
  create, never overwriting                       PutItem   condition attribute_not_exists
  settings or flow overrides replaced             UpdateItem condition attribute_exists (in one
                                                  TransactWriteItems with the change's audit record)
  one webhook signing secret replaced (admin CLI) UpdateItem condition webhook_secrets unchanged
  every tenant's id and name (admin CLI, nightly) Query     GSI registry-index (PK registry =
                                                  "tenant", SK tenant_id; keys and name only)

The item holds the settings (TenantSettings) and flow overrides as validated JSON; `sms_number`
is copied out of the settings to a top-level attribute because the index needs it there.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from huike.config.flows import FlowsConfig
from huike.config.tenant import TenantConfig, TenantSettings
from huike.config.validation import load_lenient
from huike.core import clock
from huike.core.caches import container_state
from huike.core.errors import HuikeError, NotFound
from huike.store.base import BoundTable, dynamodb_connection, get_or_none, register, update_existing


class SmsNumberIndex(GlobalSecondaryIndex["Tenant"]):
    class Meta:
        index_name = "sms_number-index"
        projection = AllProjection()

    sms_number = UnicodeAttribute(hash_key=True)


class RegistryIndex(GlobalSecondaryIndex["Tenant"]):
    class Meta:
        index_name = "registry-index"
        projection = IncludeProjection(["name"])

    registry = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute(range_key=True)


REGISTRY = "tenant"


class TenantExists(HuikeError):
    """A create for a tenant id that is taken: nothing is overwritten."""

    status = 409


@register
class Tenant(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "tenants_table"

    tenant_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    api_key_hash = UnicodeAttribute()
    webhook_secrets = JSONAttribute(default=dict)
    sms_number = UnicodeAttribute(null=True)
    sms_number_index = SmsNumberIndex()
    registry = UnicodeAttribute(default=REGISTRY)  # every tenant: listed by the registry-index
    registry_index = RegistryIndex()
    settings = JSONAttribute(default=dict)
    flows = JSONAttribute(default=dict)
    # Keys the pseudonyms of contacts (ids of customers known only by a phone or email, and the
    # hashed addresses an erasure leaves on the suppression list). Never shown, never rotated.
    pseudonym_key = UnicodeAttribute(null=True)
    # The seller API usage plan (admin CLI): requests per minute for all of the tenant's keys.
    requests_per_minute = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute()


TENANT_CACHE_SECONDS = 60


def get_tenant(tenant_id: str) -> TenantConfig:
    """The tenant as stored now (one GetItem): what the seller API and the admin CLI show."""
    item = get_or_none(Tenant, tenant_id)
    if item is None:
        # The id is not echoed: a probe learns nothing from the answer but that there is none.
        raise NotFound("unknown tenant")
    return _remembered(_config(item))


def cached_tenant(tenant_id: str) -> TenantConfig:
    """The tenant as this container read it at most TENANT_CACHE_SECONDS ago (webhooks, streams,
    flow steps: an order reads its tenant ~20 times). A change written by this container applies
    here at once; one written by another function (the seller API, the admin CLI) applies within
    TENANT_CACHE_SECONDS, on the handlers' clock."""
    remembered = _tenant_cache().get(tenant_id)
    if remembered is not None and clock.now() < remembered[0]:
        return remembered[1]
    return get_tenant(tenant_id)


def _tenant_cache() -> dict[str, tuple[Any, TenantConfig]]:
    cache: dict[str, tuple[Any, TenantConfig]] = container_state().setdefault("tenant-cache", {})
    return cache


def _remembered(tenant: TenantConfig) -> TenantConfig:
    expires = clock.now() + timedelta(seconds=TENANT_CACHE_SECONDS)
    _tenant_cache()[tenant.tenant_id] = (expires, tenant)
    return tenant


def flow_overrides(tenant_id: str) -> dict[str, Any]:
    """The flow overrides as stored (what the seller set), not the effective flow settings."""
    item = get_or_none(Tenant, tenant_id)
    if item is None:
        raise NotFound("unknown tenant")
    return dict(item.flows or {})


DEFAULT_REQUESTS_PER_MINUTE = 120


def usage_plan(tenant_id: str) -> int:
    """The tenant's seller API requests per minute (one projected GetItem)."""
    item = get_or_none(Tenant, tenant_id, attributes_to_get=["requests_per_minute"])
    limit = item.requests_per_minute if item is not None else None
    return int(limit) if limit else DEFAULT_REQUESTS_PER_MINUTE


def set_usage_plan(tenant_id: str, requests_per_minute: int) -> None:
    if not update_existing(Tenant(tenant_id), [Tenant.requests_per_minute.set(requests_per_minute)]):
        raise NotFound("unknown tenant")


def tenant_by_sms_number(number: str) -> TenantConfig | None:
    item = next(iter(Tenant.sms_number_index.query(number, limit=1)), None)
    return _config(item) if item is not None else None


def create_tenant(
    tenant_id: str,
    *,
    name: str,
    api_key: str,
    webhook_secrets: Mapping[str, str],
    settings: TenantSettings | Mapping[str, Any] | None = None,
    flows: Mapping[str, Any] | None = None,
) -> TenantConfig:
    """Create a tenant; settings and flow overrides are validated first (pydantic.ValidationError
    with field paths), and only a hash of the API key is stored."""
    typed = settings if isinstance(settings, TenantSettings) else TenantSettings.model_validate(settings or {})
    overrides = dict(flows or {})
    FlowsConfig.validated(overrides)
    item = Tenant(
        tenant_id,
        name=name,
        api_key_hash=hashlib.sha256(api_key.encode()).hexdigest(),
        webhook_secrets=dict(webhook_secrets),
        sms_number=typed.sender.sms_number,
        settings=typed.model_dump(mode="json", exclude_defaults=True),
        flows=overrides,
        pseudonym_key=secrets.token_hex(32),
        created_at=clock.now(),
    )
    from pynamodb.exceptions import PutError

    try:
        item.save(condition=Tenant.tenant_id.does_not_exist())
    except PutError as exc:
        if _condition_failed(exc):
            raise TenantExists(f"tenant {tenant_id!r} already exists") from None
        raise
    from huike.store.api_keys import register_key

    register_key(tenant_id, api_key, "default")
    return _config(item)


def update_settings(tenant_id: str, settings: TenantSettings, change: Any = None) -> TenantConfig:
    """Replace a tenant's settings (already validated), with the change's audit record in the same
    transaction when there is one; the SMS number index follows."""
    actions: list[Any] = [Tenant.settings.set(settings.model_dump(mode="json", exclude_defaults=True))]
    number = settings.sender.sms_number
    actions.append(Tenant.sms_number.set(number) if number else Tenant.sms_number.remove())
    return _update(tenant_id, actions, change)


def update_flows(tenant_id: str, overrides: Mapping[str, Any], change: Any = None) -> TenantConfig:
    """Replace a tenant's flow overrides (validated here too), with the change's audit record."""
    FlowsConfig.validated(dict(overrides))
    return _update(tenant_id, [Tenant.flows.set(dict(overrides))], change)


def set_webhook_secret(tenant_id: str, source: str, secret: str) -> TenantConfig:
    """Replace one source's webhook signing secret and nothing else: the other sources' secrets,
    the settings and the flows are kept. The secrets are one JSON attribute, so this reads it and
    writes it back on condition that it did not change in between (a concurrent change retries)."""
    from pynamodb.exceptions import UpdateError

    for _ in range(3):
        item = get_or_none(Tenant, tenant_id, consistent_read=True)
        if item is None:
            raise NotFound("unknown tenant")
        current = dict(item.webhook_secrets or {})
        try:
            item.update(
                actions=[Tenant.webhook_secrets.set({**current, source: secret})],
                condition=Tenant.webhook_secrets == current,
            )
        except UpdateError as exc:
            if _condition_failed(exc):
                continue  # changed (or deleted) since it was read: read it again
            raise
        return _remembered(_config(item))
    raise RuntimeError(f"tenant {tenant_id!r} webhook secrets kept changing; try again")


def list_tenants() -> list[tuple[str, str]]:
    """Every tenant's (id, name), sorted by id (the admin CLI and the nightly refresh). The index
    holds keys and name only: it is written when a tenant is created, not on settings changes."""
    return [(str(item.tenant_id), str(item.name)) for item in Tenant.registry_index.query(REGISTRY)]


def _condition_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def _update(tenant_id: str, actions: list[Any], change: Any) -> TenantConfig:
    item = Tenant(tenant_id)
    if change is None:
        item.update(actions=actions, condition=Tenant.tenant_id.exists())
        return _remembered(_config(item))
    from pynamodb.transactions import TransactWrite

    with TransactWrite(connection=dynamodb_connection()) as transaction:
        transaction.update(item, actions=actions, condition=Tenant.tenant_id.exists())
        transaction.save(change)
    return get_tenant(tenant_id)


def _config(item: Tenant) -> TenantConfig:
    return TenantConfig(
        tenant_id=item.tenant_id,
        name=item.name,
        api_key_hash=item.api_key_hash,
        settings=load_lenient(TenantSettings, item.settings, f"tenant {item.tenant_id} settings"),
        flows=FlowsConfig.loaded(item.flows),
        webhook_secrets=dict(item.webhook_secrets or {}),
        pseudonym_key=item.pseudonym_key or item.tenant_id,
    )
