"""Reading stored items the way the product keys them (tenant shards), for assertions."""

from __future__ import annotations

from typing import Any, TypeVar

from huike.core import keys

M = TypeVar("M")


def stored(model: type[M], tenant_id: str, sort_key: str) -> M:
    """The item of a tenant-sharded model (raises the model's DoesNotExist when there is none)."""
    return model.get(*model.key_tuple(tenant_id, sort_key))  # type: ignore[attr-defined, no-any-return]


def every(model: type[M], tenant_id: str) -> list[M]:
    """Every item a tenant has in a tenant-sharded model, in sort-key order."""
    items: list[Any] = [item for shard in keys.tenant_shards(tenant_id) for item in model.query(shard)]  # type: ignore[attr-defined]
    range_name = model._range_key_attribute().attr_name  # type: ignore[attr-defined]
    return sorted(items, key=lambda item: getattr(item, range_name))
