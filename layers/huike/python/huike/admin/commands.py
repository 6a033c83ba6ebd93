"""The admin commands: each takes its parsed options and returns what it prints (JSON-ready).

They read and write through huike.store with whatever tables and credentials the environment
holds: the stack's tables with the operator's credentials (`--stack`), or the local runtime's
emulated tables with its operator credentials (`--local`). Secrets are printed once, when they
are made, and never again: `show` and the listings carry key ids and source names only.
"""

from __future__ import annotations

import json
import re
import secrets
from argparse import Namespace
from typing import Any

from huike.core import clock
from huike.core.errors import BadRequest

# The platforms whose webhooks Huike verifies, one signing secret each (the local runtime's
# WEBHOOK_SOURCES in infra/local/provisioning.py is the same list).
WEBHOOK_SOURCES = ("shopify", "woocommerce", "events")
# The tenant id is a path segment of every webhook URL and the partition key of every table.
TENANT_ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MIN_SECRET_LENGTH = 16


def tenant_id(value: str) -> str:
    """Validate a tenant id given on the command line (argparse `type`)."""
    if not TENANT_ID_PATTERN.fullmatch(value):
        raise ValueError("a tenant id is 1-63 lowercase letters, digits and hyphens, not starting or ending in -")
    return value


def create_tenant(options: Namespace) -> dict[str, Any]:
    """A new tenant with fresh webhook signing secrets and its first API key (never overwrites)."""
    from huike.store.api_keys import ApiKey, hash_secret, new_secret
    from huike.store.base import get_or_none
    from huike.store.tenants import create_tenant as create

    settings = _settings(options)
    api_key = new_secret()
    webhook_secrets = {source: new_webhook_secret() for source in WEBHOOK_SOURCES}
    tenant = create(
        options.tenant_id, name=options.name, api_key=api_key, webhook_secrets=webhook_secrets, settings=settings
    )
    # By its hash, a consistent GetItem: the tenant's key index may not list a key this new yet.
    key = get_or_none(ApiKey, hash_secret(api_key), consistent_read=True)
    return {
        "tenant_id": tenant.tenant_id,
        "name": tenant.name,
        "api_key": api_key,
        "key_id": key.key_id if key is not None else None,
        "webhook_secrets": webhook_secrets,
        "sender": {"email": tenant.settings.sender.email, "sms_number": tenant.settings.sender.sms_number},
        "note": "the API key and webhook secrets are shown only now; store them in your secret manager",
    }


def list_tenants(_: Namespace) -> dict[str, Any]:
    from huike.store.tenants import list_tenants as every_tenant

    return {"tenants": [{"tenant_id": tenant, "name": name} for tenant, name in every_tenant()]}


def show_tenant(options: Namespace) -> dict[str, Any]:
    """Settings, flow overrides, key metadata and which sources have a secret: never a secret or hash."""
    from huike.store.tenants import flow_overrides, get_tenant, usage_plan

    tenant = get_tenant(options.tenant_id)
    return {
        "tenant_id": tenant.tenant_id,
        "name": tenant.name,
        "settings": tenant.settings.model_dump(mode="json"),
        "flows": flow_overrides(tenant.tenant_id),
        "webhook_sources": {source: bool(tenant.secret(source)) for source in WEBHOOK_SOURCES},
        "keys": _key_views(tenant.tenant_id),
        "requests_per_minute": usage_plan(tenant.tenant_id),
    }


def set_plan(options: Namespace) -> dict[str, Any]:
    """The tenant's seller API usage plan: requests per minute, shared by all its keys."""
    from huike.store.tenants import set_usage_plan, usage_plan

    if not 1 <= options.requests_per_minute <= 100_000:
        raise BadRequest("--requests-per-minute must be between 1 and 100000")
    set_usage_plan(options.tenant_id, options.requests_per_minute)
    return {"tenant_id": options.tenant_id, "requests_per_minute": usage_plan(options.tenant_id)}


def rotate_secret(options: Namespace) -> dict[str, Any]:
    """A new signing secret for one source (given, e.g. the Shopify app's client secret, or made
    here); the old one stops verifying at once."""
    from huike.store.tenants import set_webhook_secret

    secret = options.secret if options.secret is not None else new_webhook_secret()
    if len(secret) < MIN_SECRET_LENGTH or secret != secret.strip() or not secret.isprintable():
        raise BadRequest(f"--secret must be at least {MIN_SECRET_LENGTH} printable characters, no surrounding spaces")
    tenant = set_webhook_secret(options.tenant_id, options.source, secret)
    result: dict[str, Any] = {"tenant_id": tenant.tenant_id, "source": options.source, "secret": secret}
    if options.source == "events" and not tenant.secret("unsubscribe"):
        # huike.consent.tokens signs one-click unsubscribe links with the events secret when the
        # tenant has no "unsubscribe" secret of its own.
        result["warning"] = "unsubscribe links in emails sent before this rotation no longer verify"
    return result


def create_key(options: Namespace) -> dict[str, Any]:
    from huike.store.api_keys import new_secret, register_key
    from huike.store.tenants import get_tenant

    tenant = get_tenant(options.tenant_id)  # NotFound before anything is written
    secret = new_secret()
    key = register_key(tenant.tenant_id, secret, options.name)
    return {
        "tenant_id": tenant.tenant_id,
        "key_id": key.key_id,
        "name": key.name,
        "api_key": secret,
        "note": "the API key is shown only now; store it in your secret manager",
    }


def list_keys(options: Namespace) -> dict[str, Any]:
    from huike.store.tenants import get_tenant

    tenant = get_tenant(options.tenant_id)
    return {"tenant_id": tenant.tenant_id, "keys": _key_views(tenant.tenant_id)}


def revoke_key(options: Namespace) -> dict[str, Any]:
    from huike.store.api_keys import keys_of, revoke
    from huike.store.tenants import get_tenant

    tenant = get_tenant(options.tenant_id)
    revoked = next((k for k in keys_of(tenant.tenant_id) if k.key_id == options.key_id and k.revoked_at), None)
    if revoked is not None:  # revoking twice keeps the first revocation's time
        return {"tenant_id": tenant.tenant_id, **_key_view(revoked)}
    key = revoke(tenant.tenant_id, options.key_id)  # NotFound for a key of no such id
    return {"tenant_id": tenant.tenant_id, **_key_view(key)}


def new_webhook_secret() -> str:
    return secrets.token_hex(24)


def _settings(options: Namespace) -> dict[str, Any]:
    """--settings-json, with the named options laid over it (they win)."""
    settings: dict[str, Any] = {}
    if options.settings_json is not None:
        try:
            given = json.loads(options.settings_json)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"--settings-json is not valid JSON: {exc}") from None
        if not isinstance(given, dict):
            raise BadRequest("--settings-json must be a JSON object")
        settings = given
    for field in ("country", "timezone", "locale"):
        if getattr(options, field) is not None:
            settings[field] = getattr(options, field)
    sender = settings.get("sender")
    sender = dict(sender) if isinstance(sender, dict) else sender
    for field, option in (("name", "sender_name"), ("email", "sender_email"), ("sms_number", "sms_number")):
        if getattr(options, option) is not None:
            sender = sender if isinstance(sender, dict) else {}
            sender[field] = getattr(options, option)
    if sender is not None:
        settings["sender"] = sender
    return settings


def _key_views(tenant: str) -> list[dict[str, Any]]:
    from huike.store.api_keys import keys_of

    return [_key_view(key) for key in keys_of(tenant)]


def _key_view(key: Any) -> dict[str, Any]:
    """A key as listings show it: its public id and dates, never its hash."""
    return {
        "key_id": key.key_id,
        "name": key.name,
        "created_at": clock.to_iso(key.created_at),
        "last_used_at": clock.to_iso_or_none(key.last_used_at),
        "revoked_at": clock.to_iso_or_none(key.revoked_at),
    }
