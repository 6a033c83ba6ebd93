"""Import jobs: a seller's file, its progress and counts, the chunks applied, the content claimed.

Access patterns:
  create / read / update a job          PutItem / GetItem / UpdateItem  PK tenant_id, SK "import#<id>"
  a tenant's imports, newest first      Query PK tenant_id, SK begins_with "import#", descending
  apply one chunk once                  TransactWriteItems: PutItem "chunk#<id>#<n>" (condition:
                                        absent) + UpdateItem ADD the chunk's counts on the job
  one import per file content           PutItem "content#<sha256>" (condition: absent); a claim
                                        held by a cancelled or failed import is taken over (UpdateItem)
Items per tenant: one per import, one per chunk (500 rows) and one per file: an import of
100,000 rows writes ~200 small items, and the job item takes one update per chunk.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from huike.core import clock, keys
from huike.store.base import BoundTable, dynamodb_connection, get_or_none, register, update_existing

KEPT_FOR = timedelta(days=90)
COUNTS = ("created", "updated", "merged", "rejected", "skipped")


@register
class ImportItem(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "imports_table"

    tenant_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)
    import_id = UnicodeAttribute(null=True)
    format = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # awaiting_upload, planning, processing, completed, cancelled, failed
    reason = UnicodeAttribute(null=True)
    options = JSONAttribute(null=True)  # mapping, default_country, filename
    content_sha256 = UnicodeAttribute(null=True)
    duplicate_of = UnicodeAttribute(null=True)
    rows = NumberAttribute(null=True)
    bytes = NumberAttribute(null=True)
    chunks_total = NumberAttribute(null=True)
    chunks_done = NumberAttribute(null=True)
    created = NumberAttribute(null=True)
    updated = NumberAttribute(null=True)
    merged = NumberAttribute(null=True)
    rejected = NumberAttribute(null=True)
    skipped = NumberAttribute(null=True)  # rows of chunks a cancel stopped
    problems = NumberAttribute(null=True)
    problems_preview = JSONAttribute(null=True)  # the first problems: [{line, reason, rejected}]
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


def new_job(tenant_id: str, import_id: str, fmt: str, options: Mapping[str, Any]) -> ImportItem:
    now = clock.now()
    job = ImportItem(
        tenant_id,
        keys.import_key(import_id),
        import_id=import_id,
        format=fmt,
        status="awaiting_upload",
        options=dict(options),
        created=0,
        updated=0,
        merged=0,
        rejected=0,
        skipped=0,
        chunks_done=0,
        created_at=clock.to_iso(now),
        updated_at=clock.to_iso(now),
        expires_at=now + KEPT_FOR,
    )
    job.save(condition=ImportItem.item_key.does_not_exist())
    return job


def get_job(tenant_id: str, import_id: str, consistent: bool = False) -> ImportItem | None:
    return get_or_none(ImportItem, tenant_id, keys.import_key(import_id), consistent_read=consistent)


def jobs_page(tenant_id: str, *, limit: int, after: str | None) -> tuple[list[ImportItem], str | None]:
    start = {"tenant_id": {"S": tenant_id}, "item_key": {"S": after}} if after else None
    items: list[ImportItem] = []
    for item in ImportItem.query(
        tenant_id,
        ImportItem.item_key.startswith(keys.import_key("")),
        scan_index_forward=False,
        last_evaluated_key=start,
        page_size=limit,
    ):
        items.append(item)
        if len(items) == limit:
            break
    return items, (str(items[-1].item_key) if len(items) == limit else None)


def move_job(job: ImportItem, to: str, *, from_: tuple[str, ...], **fields: Any) -> bool:
    """Set the job's status (and fields) only if it is in one of `from_`; False when it was not."""
    now = clock.now()
    actions: list[Any] = [ImportItem.status.set(to), ImportItem.updated_at.set(clock.to_iso(now))]
    if to in ("completed", "cancelled", "failed"):
        actions.append(ImportItem.finished_at.set(clock.to_iso(now)))
    actions += [getattr(ImportItem, name).set(value) for name, value in fields.items()]
    return update_existing(job, actions, ImportItem.status.is_in(*from_))


def claim_content(tenant_id: str, sha256: str, import_id: str) -> str | None:
    """Claim a file's content for this import; None when claimed (now or by an earlier attempt of
    this import), else the import that holds it. A claim held by a cancelled or failed import is
    taken over."""
    from pynamodb.exceptions import PutError

    item = ImportItem(tenant_id, keys.import_content_key(sha256), import_id=import_id)
    try:
        item.save(condition=ImportItem.item_key.does_not_exist())
        return None
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    held = get_or_none(ImportItem, tenant_id, keys.import_content_key(sha256), consistent_read=True)
    holder = str(held.import_id) if held is not None else import_id
    if holder == import_id:
        return None
    previous = get_job(tenant_id, holder, consistent=True)
    if previous is None or previous.status in ("cancelled", "failed"):
        update_existing(item, [ImportItem.import_id.set(import_id)])
        return None
    return holder


def complete_chunk(tenant_id: str, import_id: str, chunk: int, counts: Mapping[str, int]) -> ImportItem | None:
    """Add a chunk's counts to its job exactly once; the job as it is after (None when this chunk
    had already been counted)."""
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    now = clock.now()
    job = ImportItem(tenant_id, keys.import_key(import_id))
    try:
        with TransactWrite(connection=dynamodb_connection()) as transaction:
            transaction.save(
                ImportItem(
                    tenant_id, keys.import_chunk_key(import_id, chunk), import_id=import_id, expires_at=now + KEPT_FOR
                ),
                condition=ImportItem.item_key.does_not_exist(),
            )
            transaction.update(
                job,
                actions=[
                    ImportItem.chunks_done.add(1),
                    ImportItem.updated_at.set(clock.to_iso(now)),
                    *(getattr(ImportItem, name).add(amount) for name, amount in counts.items() if amount),
                ],
            )
    except TransactWriteError as exc:
        reasons = [reason.code if reason is not None else None for reason in exc.cancellation_reasons]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return None
        raise
    return get_job(tenant_id, import_id, consistent=True)


def chunk_applied(tenant_id: str, import_id: str, chunk: int) -> bool:
    return get_or_none(ImportItem, tenant_id, keys.import_chunk_key(import_id, chunk), consistent_read=True) is not None


def counts_of(job: ImportItem) -> dict[str, int]:
    return {name: int(getattr(job, name) or 0) for name in COUNTS}
