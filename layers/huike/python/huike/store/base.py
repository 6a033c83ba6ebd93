"""Table binding, done once: every model's Meta reads its table name from the environment when
PynamoDB opens its connection, so no access function binds anything."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pynamodb.models import Model

from huike.config.env import environment
from huike.core import keys
from huike.core.caches import container_state, process_cache

MODELS: list[type[Model]] = []
M = TypeVar("M", bound=Model)
S = TypeVar("S", bound="TenantSharded")


class TenantSharded:
    """A model whose partition key is one of its tenant's shards (keys.tenant_shard, attribute
    `tenant_shard`): the item's subject (`shard_subject` of its sort key) picks the shard, so a
    point read or write computes its key, and a tenant's writes spread over keys.TENANT_SHARDS
    partition keys. Tenant-wide listings merge the shards (merged_page)."""

    tenant_shard: Any

    @staticmethod
    def shard_subject(sort_key: str) -> str:
        return sort_key

    @property
    def tenant_id(self) -> str:
        return keys.tenant_of_shard(str(self.tenant_shard))

    @classmethod
    def key(cls: type[S], tenant_id: str, sort_key: str, **attributes: Any) -> S:
        """The item of this tenant and sort key (attributes set locally; nothing is read)."""
        return cls(keys.tenant_shard(tenant_id, cls.shard_subject(sort_key)), sort_key, **attributes)  # type: ignore[call-arg]

    @classmethod
    def key_tuple(cls, tenant_id: str, sort_key: str) -> tuple[str, str]:
        """(hash key, range key) for BatchGetItem."""
        return keys.tenant_shard(tenant_id, cls.shard_subject(sort_key)), sort_key


class BoundTable(type):
    """Metaclass of a model's Meta: `table_name` is the environment field named `table_setting`."""

    table_setting: str

    @property
    def table_name(cls) -> str:
        return str(getattr(environment(), cls.table_setting))

    @property
    def region(cls) -> str:
        # Read at class definition by PynamoDB (hasattr), so from os.environ, not the validated model.
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def register(model: type[Model]) -> type[Model]:
    """Add the model to MODELS, with one connection per container (see core.caches)."""
    MODELS.append(model)
    model._get_connection = classmethod(_container_connection)  # type: ignore[assignment, method-assign]
    return model


_PYNAMODB_CONNECTION = Model._get_connection.__func__  # type: ignore[attr-defined]
_connecting = threading.Lock()


def _container_connection(model: type[Model]) -> Any:
    """PynamoDB keeps one connection on the model class; a container keeps its own, so a host
    running several functions in one process signs each function's calls with its own role.
    Every table's connection sends through the container's one DynamoDB client (see
    dynamodb_connection), not a client per model."""
    connections = container_state().setdefault("pynamodb-connections", {})
    connection = connections.get(model)
    if connection is None or connection.table_name != model.Meta.table_name:
        with _connecting:
            model._connection = None
            connection = _PYNAMODB_CONNECTION(model)
            model._connection = None
            shared = dynamodb_connection()
            if connection.table_name not in shared._tables:
                shared.add_meta_table(connection.connection.get_meta_table(connection.table_name))
            connection.connection = shared
            connections[model] = connection
    return connection


@process_cache
def dynamodb_connection() -> Any:
    """The container's one PynamoDB connection: every table's, and transactions'. It sends through
    the container's DynamoDB client (huike.aws.clients), the one Powertools' idempotency uses too:
    building a botocore client costs ~0.06 s of a cold start, so a container builds one per service."""
    from pynamodb.connection import Connection

    from huike.aws.clients import client

    connection = Connection(region=environment().region)
    connection._client = client("dynamodb")
    return connection


@dataclass
class Change:
    """One UpdateItem, not yet sent: the item (its key) and the update's actions, so a caller can
    send it alone (`apply`, returning the item as stored) or in a TransactWriteItems."""

    item: Model
    actions: list[Any] = field(default_factory=list)

    def apply(self) -> Model:
        self.item.update(actions=self.actions)  # returns ALL_NEW into the item
        return self.item


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def update_existing(item: Model, actions: list[Any], condition: Any = None) -> bool:
    """UpdateItem on an item that must already exist (its hash key present) and meet `condition`
    when one is given; False, and nothing written, when it does not."""
    from pynamodb.exceptions import UpdateError

    hash_key = type(item)._hash_key_attribute()
    required = hash_key.exists() if condition is None else hash_key.exists() & condition
    try:
        item.update(actions=actions, condition=required)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_or_none(
    model: type[M],
    hash_key: str,
    range_key: str | None = None,
    consistent_read: bool = False,
    attributes_to_get: list[str] | None = None,
) -> M | None:
    """GetItem by key (only `attributes_to_get` when given); None when there is no such item."""
    try:
        return model.get(hash_key, range_key, consistent_read=consistent_read, attributes_to_get=attributes_to_get)
    except model.DoesNotExist:
        return None


def get_sharded(model: type[M], tenant_id: str, sort_key: str, consistent_read: bool = False) -> M | None:
    """GetItem of a TenantSharded model by tenant and sort key; None when there is no such item."""
    hash_key, range_key = model.key_tuple(tenant_id, sort_key)  # type: ignore[attr-defined]
    return get_or_none(model, hash_key, range_key, consistent_read=consistent_read)


def merged_page(
    source: Any,
    partitions: Sequence[str],
    *,
    limit: int,
    order: Callable[[Any], Any],
    start: Callable[[str], dict[str, Any] | None],
    range_condition: Any = None,
    filter_condition: Any = None,
    scan_index_forward: bool = True,
) -> tuple[list[Any], Any]:
    """Up to `limit` items of several partitions (a tenant's shards), merged in `order` (the
    order each partition's Query returns, descending when `scan_index_forward` is False), after
    the position each partition's `start` key gives; and the last item when more follow (None
    at the end).

    The partitions are merged lazily: each is read in pages of its share of the page plus two
    (limit 50 over 16 shards: 6), and a partition is read again only when the merge has taken
    all it read. So a full page costs one Query per shard and a few more, O(limit + shards)
    items, whatever the tenant's size."""
    import heapq
    import itertools

    page_size = -(-limit // len(partitions)) + 2
    streams = [
        source.query(
            partition,
            range_condition,
            filter_condition,
            scan_index_forward=scan_index_forward,
            last_evaluated_key=start(partition),
            page_size=page_size,
        )
        for partition in partitions
    ]
    merged = heapq.merge(*streams, key=order, reverse=not scan_index_forward)
    taken = list(itertools.islice(merged, limit + 1))
    page = taken[:limit]
    return page, (page[-1] if len(taken) > limit else None)


def sharded_page(
    model: type[M],
    tenant_id: str,
    range_name: str,
    *,
    limit: int,
    after: str | None,
    range_condition: Any = None,
    filter_condition: Any = None,
) -> tuple[list[M], str | None]:
    """A tenant's items of a TenantSharded model in sort-key order after the sort key `after`,
    `limit` at a time, and the sort key to continue after (None at the end): merged_page over
    the tenant's shards."""

    def start(partition: str) -> dict[str, Any] | None:
        return {"tenant_shard": {"S": partition}, range_name: {"S": after}} if after else None

    page, last = merged_page(
        model,
        keys.tenant_shards(tenant_id),
        limit=limit,
        order=lambda item: str(getattr(item, range_name)),
        start=start,
        range_condition=range_condition,
        filter_condition=filter_condition,
    )
    return page, (str(getattr(last, range_name)) if last is not None else None)


def query_page(
    model: type[M],
    hash_key: str,
    key_names: tuple[str, str],
    *,
    limit: int,
    after: str | None,
    range_condition: Any = None,
    filter_condition: Any = None,
    index: Any = None,
    table_keys: Callable[[str], Mapping[str, str]] | None = None,
) -> tuple[list[M], str | None]:
    """Up to `limit` items of one partition in sort-key order after the sort key `after`, and the
    sort key to continue after (None at the end). A filter is applied by DynamoDB to the key range,
    read in pages of `limit` until one is full. With `index`, the partition is the index's and
    `table_keys` gives the table's key values a start key of that index also needs, from the
    index's sort key."""
    hash_name, range_name = key_names
    source: Any = index if index is not None else model

    def start(key: str | None) -> dict[str, Any] | None:
        if not key:
            return None
        extra = {name: {"S": value} for name, value in (table_keys(key) if table_keys else {}).items()}
        return {**extra, hash_name: {"S": hash_key}, range_name: {"S": key}}

    items: list[M] = []
    for item in source.query(
        hash_key, range_condition, filter_condition, last_evaluated_key=start(after), page_size=limit
    ):
        items.append(item)
        if len(items) == limit:
            break
    if len(items) < limit:
        return items, None
    last = str(getattr(items[-1], range_name))
    following = source.query(hash_key, range_condition, filter_condition, last_evaluated_key=start(last), page_size=1)
    return items, last if next(iter(following), None) is not None else None
