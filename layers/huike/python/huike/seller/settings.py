"""Tenant settings and flow settings, read and changed field by field (JSON merge patch, RFC 7396),
validated by the same typed models the engine reads. A change applies to every execution that
wakes after it: flows read the tenant's settings at send time."""

from __future__ import annotations

from typing import Any

from huike.config.flows import SETTINGS_MODELS, FlowsConfig
from huike.config.tenant import TenantSettings
from huike.core import clock
from huike.core.enums import FlowName
from huike.core.errors import NotFound
from huike.seller.paging import Page, decode_cursor, encode_cursor


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def read_settings(tenant_id: str) -> dict[str, Any]:
    from huike.store.tenants import get_tenant

    return get_tenant(tenant_id).settings.model_dump(mode="json")


def change_settings(tenant_id: str, patch: dict[str, Any], actor: str) -> dict[str, Any]:
    """Raises pydantic.ValidationError (422 with field paths); nothing is stored then. A change is
    recorded (who, when, before, after) in the same transaction; a patch that changes nothing is
    not a change."""
    from huike.store.audit import new_change
    from huike.store.tenants import get_tenant, update_settings

    current = get_tenant(tenant_id).settings.model_dump(mode="json")
    typed = TenantSettings.model_validate(merge_patch(current, patch))
    after = typed.model_dump(mode="json")
    if after == current:
        return current
    change = new_change(tenant_id, actor, "settings.update", None, current, after)
    return update_settings(tenant_id, typed, change).settings.model_dump(mode="json")


def read_flows(tenant_id: str) -> dict[str, dict[str, Any]]:
    from huike.store.tenants import get_tenant

    flows = get_tenant(tenant_id).flows
    return {name.value: _flow_view(name.value, flows) for name in FlowName}


def read_flow(tenant_id: str, flow: str) -> dict[str, Any]:
    from huike.store.tenants import get_tenant

    return _flow_view(_known(flow), get_tenant(tenant_id).flows)


def change_flow(tenant_id: str, flow: str, patch: dict[str, Any], actor: str) -> dict[str, Any]:
    """Only what the seller sets is stored (new Huike defaults still reach the rest). The change
    is recorded with the flow's effective settings before and after."""
    from huike.store.audit import new_change
    from huike.store.tenants import Tenant, update_flows

    name = _known(flow)
    stored = Tenant.get(tenant_id).flows or {}
    overrides = dict(stored)
    overrides[name] = merge_patch(stored.get(name) or {}, patch)
    typed = SETTINGS_MODELS[FlowName(name)].model_validate(overrides[name])  # field paths relative to the flow
    if isinstance(patch.get("templates"), dict):
        _refuse_unrenderable(tenant_id, typed, set(patch["templates"]))
    before = _flow_view(name, FlowsConfig.loaded(stored))
    after = _flow_view(name, FlowsConfig.validated(overrides))
    if after == before:
        return before
    change = new_change(tenant_id, actor, "flow.update", name, before, after)
    return _flow_view(name, update_flows(tenant_id, overrides, change).flows)


def _refuse_unrenderable(tenant_id: str, settings: Any, changed: set[str]) -> None:
    from huike.core.errors import Unprocessable
    from huike.sending.templates import wording_problems
    from huike.store.tenants import get_tenant

    problems = [
        (path, problem)
        for path, problem in wording_problems(settings, get_tenant(tenant_id).shop_name)
        if path[1] in changed
    ]
    if problems:
        raise Unprocessable("a template would not render", problems)


def change_log(tenant_id: str, *, limit: int = 50, cursor: str | None = None) -> Page:
    """The tenant's changes to settings and flows, oldest first."""
    from huike.store.audit import changes_page

    after = decode_cursor(cursor, "change_id") if cursor else None
    records, last = changes_page(tenant_id, limit=limit, after=after)
    items = [
        {
            "change_id": r.change_id,
            "at": clock.to_iso(r.at),
            "actor": r.actor,
            "action": r.action,
            "flow": r.target,
            "before": r.before,
            "after": r.after,
        }
        for r in records
    ]
    return Page(items=items, next_cursor=encode_cursor({"change_id": last}) if last else None)


def _known(flow: str) -> str:
    try:
        return FlowName(flow).value
    except ValueError:
        raise NotFound(f"no flow {flow!r}; flows: {', '.join(n.value for n in FlowName)}") from None


def _flow_view(flow: str, flows: FlowsConfig) -> dict[str, Any]:
    settings = flows.of(flow)
    return {"flow": flow, "purpose": settings.purpose.value, **settings.model_dump(mode="json")}
