"""Imports: a seller uploads a CRM file; Huike cleans it, merges it into its customers (or orders)
in bounded chunks, and reports what it did, row by row.

    POST /v1/imports         create_import: a job and a presigned PUT URL for the file
    S3 ObjectCreated         plan_upload: read, hash, parse and clean the file (imports.files),
                             write the report and the chunks, queue one SQS message per chunk
    SQS, one chunk each      apply_chunk: write the chunk's records, count it on the job once
    GET /v1/imports/{id}     view: status, progress, counts, a presigned link to the report
    POST .../cancel          cancel: chunks not yet applied are skipped

Idempotent end to end: one import per file content (a second upload of the same bytes changes
nothing and says which import it repeats), a chunk is counted once (its marker commits with its
counts), and every record's write is a merge, so a chunk retried after a failure midway writes
nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from huike.config.tenant import TenantConfig
from huike.core import clock, keys
from huike.core.errors import Conflict, NotFound

if TYPE_CHECKING:
    from huike.core.events import CustomerData
    from huike.customers.identity import Email, Phone

CHUNK_ROWS = 500
MAX_BYTES = 64 * 1024 * 1024
UPLOAD_SECONDS = 3600
REPORT_SECONDS = 3600
PREVIEW_PROBLEMS = 20
ACTIVE = ("awaiting_upload", "planning", "processing")


def _bucket() -> str:
    from huike.config.env import environment

    return environment().imports_bucket


def _chunks_queue_url() -> str:
    from huike.config.env import ImportFilesEnvironment, require_environment

    return require_environment(ImportFilesEnvironment).import_chunks_queue_url


# -- the seller's side --------------------------------------------------------------------------
def create_import(tenant: TenantConfig, fmt: str, options: Mapping[str, Any]) -> dict[str, Any]:
    from huike.aws import objects
    from huike.store import imports as store

    now = clock.now()
    import_id = keys.new_import_id(now, secrets.token_hex(4))
    job = store.new_job(tenant.tenant_id, import_id, fmt, options)
    key = keys.import_object_key(tenant.tenant_id, import_id, "upload")
    url = objects.presigned_url("PUT", _bucket(), key, UPLOAD_SECONDS)
    return {
        **view(tenant.tenant_id, job),
        "upload": {
            "method": "PUT",
            "url": url,
            "expires_at": clock.to_iso(now + timedelta(seconds=UPLOAD_SECONDS)),
            "max_bytes": MAX_BYTES,
        },
    }


def get_import(tenant_id: str, import_id: str) -> dict[str, Any]:
    from huike.store import imports as store

    job = store.get_job(tenant_id, import_id)
    if job is None:
        raise NotFound("no such import")
    return view(tenant_id, job)


def list_imports(tenant_id: str, limit: int, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    from huike.store import imports as store

    jobs, last = store.jobs_page(tenant_id, limit=limit, after=after)
    return [view(tenant_id, job, with_report=False) for job in jobs], last


def cancel_import(tenant_id: str, import_id: str) -> dict[str, Any]:
    """Stop an import: chunks not yet applied are skipped (what was applied stays). The file's
    content may then be imported again (a claim held by a cancelled import is taken over)."""
    from huike.store import imports as store

    job = store.get_job(tenant_id, import_id, consistent=True)
    if job is None:
        raise NotFound("no such import")
    if not store.move_job(job, "cancelled", from_=ACTIVE):
        raise Conflict(f"the import is {job.status}; only a pending or running import can be cancelled")
    return get_import(tenant_id, import_id)


def view(tenant_id: str, job: Any, with_report: bool = True) -> dict[str, Any]:
    from huike.store.imports import counts_of

    total, done = int(job.chunks_total or 0), int(job.chunks_done or 0)
    result: dict[str, Any] = {
        "id": job.import_id,
        "format": job.format,
        "status": job.status,
        "reason": job.reason,
        "duplicate_of": job.duplicate_of,
        "rows": int(job.rows) if job.rows is not None else None,
        "progress": {"chunks_total": total, "chunks_done": done, "percent": round(100 * done / total) if total else 0},
        "counts": counts_of(job),
        "problems": int(job.problems or 0),
        "problems_preview": job.problems_preview or [],
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }
    if with_report and job.problems:
        from huike.aws import objects

        key = keys.import_object_key(tenant_id, str(job.import_id), "report.csv")
        result["report_url"] = objects.presigned_url("GET", _bucket(), key, REPORT_SECONDS)
    return result


# -- the planner (S3 event) ---------------------------------------------------------------------
def plan_upload(object_key: str) -> str:
    """Read an uploaded file and queue its chunks; returns what happened (for the log)."""
    from huike.aws import objects
    from huike.imports import files
    from huike.store import imports as store
    from huike.store.tenants import get_tenant

    parts = object_key.split("/")
    if len(parts) != 4 or parts[0] != "uploads" or parts[3] != "upload":
        return "ignored: not an import upload"
    tenant_id, import_id = parts[1], parts[2]
    job = store.get_job(tenant_id, import_id, consistent=True)
    if job is None or job.status not in ("awaiting_upload", "planning"):
        return f"ignored: import is {job.status if job else 'unknown'}"
    if not store.move_job(job, "planning", from_=("awaiting_upload", "planning")):
        return "ignored: import moved on"
    bucket = _bucket()
    try:
        data = objects.read_object(bucket, object_key, MAX_BYTES)
    except ValueError as exc:
        store.move_job(job, "failed", from_=("planning",), reason=str(exc))
        return "failed: too large"
    sha256 = hashlib.sha256(data).hexdigest()
    holder = store.claim_content(tenant_id, sha256, import_id)
    if holder is not None:
        store.move_job(
            job, "completed", from_=("planning",), duplicate_of=holder, content_sha256=sha256, bytes=len(data), rows=0,
            reason=f"this file's content was already imported by {holder}; nothing was changed",
        )  # fmt: skip
        return f"duplicate of {holder}"
    tenant = get_tenant(tenant_id)
    options = dict(job.options or {})
    try:
        parsed = files.parse_file(
            data,
            str(job.format),
            default_country=options.get("default_country") or tenant.settings.country,
            mapping=options.get("mapping"),
        )
    except files.ImportFileError as exc:
        store.move_job(job, "failed", from_=("planning",), reason=str(exc), content_sha256=sha256, bytes=len(data))
        return "failed: unusable file"
    records = _chunk_payloads(parsed)
    chunks = [records[start : start + CHUNK_ROWS] for start in range(0, len(records), CHUNK_ROWS)]
    problems: list[dict[str, Any]] = [
        {"line": p.line, "reason": p.reason, "rejected": p.rejected} for p in parsed.problems
    ]
    merges: list[dict[str, Any]] = [
        {"line": record.lines[0], "reason": f"merged: {record.merge_reason}", "rejected": False}
        for record in parsed.customers
        if record.merge_reason
    ]
    report = sorted(problems + merges, key=lambda entry: int(entry["line"]))
    if report:
        objects.write_object(
            bucket,
            keys.import_object_key(tenant_id, import_id, "report.csv"),
            _report_csv(report),
            "text/csv; charset=utf-8",
        )
    for number, chunk in enumerate(chunks, start=1):
        objects.write_object(
            bucket,
            keys.import_object_key(tenant_id, import_id, f"chunks/{number:05d}.json"),
            _json_bytes({"format": parsed.format, "records": chunk}),
            "application/json",
        )
    rejected = sum(1 for p in parsed.problems if p.rejected)
    planned = store.move_job(
        job,
        "planning" if chunks else "completed",
        from_=("planning",),
        content_sha256=sha256,
        bytes=len(data),
        rows=parsed.rows,
        chunks_total=len(chunks),
        merged=parsed.merged_rows,
        rejected=rejected,
        problems=len(report),
        problems_preview=report[:PREVIEW_PROBLEMS],
    )
    if not planned:  # cancelled while planning
        return "cancelled"
    if chunks:
        # Sent before the job says "processing": a planner retried after a failure here finds
        # it still planning and sends them all again (each chunk is applied once).
        objects.send_messages(
            _chunks_queue_url(),
            ({"tenant_id": tenant_id, "import_id": import_id, "chunk": n} for n in range(1, len(chunks) + 1)),
        )
        store.move_job(job, "processing", from_=("planning",))
    return f"planned {len(chunks)} chunks of {parsed.rows} rows"


def _chunk_payloads(parsed: Any) -> list[dict[str, Any]]:
    """Records as chunk JSON. Orders are grouped by buyer and sorted by time, so one buyer's
    orders are applied in order, in one chunk as far as it goes (their intervals count right)."""
    if parsed.customers:
        return [
            {
                "lines": list(record.lines),
                "customer": record.customer.model_dump(mode="json", exclude_none=True),
                "tags": sorted(record.tags),
                "platform_order_count": record.platform_order_count,
                "platform_total_spent": record.platform_total_spent,
                **_phone_facts(parsed.phones.get(record.customer.phone or "")),
            }
            for record in parsed.customers
        ]

    def buyer(record: Any) -> tuple[str, str]:
        customer = record.customer
        placed = record.order.created_at or record.order.paid_at
        return (customer.email or customer.phone or "", placed.isoformat() if placed else "")

    return [
        {
            "lines": list(record.lines),
            "order": record.order.model_dump(mode="json", exclude_none=True),
            "customer": record.customer.model_dump(mode="json", exclude_none=True),
        }
        for record in sorted(parsed.orders, key=buyer)
    ]


def _phone_facts(phone: Phone | None) -> dict[str, Any]:
    """What the chunk worker needs of a parsed phone besides its number (see _known_contacts)."""
    return {"phone_facts": {"textable": phone.textable, "timezone": phone.timezone}} if phone else {}


def _known_contacts(record: Mapping[str, Any], customer: CustomerData) -> tuple[Phone | None, Email | None] | None:
    """A chunk record's contacts as the planner normalised them: its email is normalised and
    valid, its phone a valid E.164 number with the facts the planner found. None (normalise
    again) for a chunk written before phone facts were carried."""
    from huike.customers.identity import Email, Phone

    facts = record.get("phone_facts")
    if customer.phone and facts is None:
        return None
    phone = None
    if customer.phone and facts:
        phone = Phone(customer.phone, customer.phone, bool(facts["textable"]), facts["timezone"])
    return phone, Email(customer.email, customer.email) if customer.email else None


def _report_csv(entries: Sequence[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "outcome", "reason"])
    for entry in entries:
        writer.writerow([entry["line"], "rejected" if entry["rejected"] else "imported", entry["reason"]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # with a BOM, so spreadsheets read UTF-8


def _json_bytes(value: Any) -> bytes:
    import json

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# -- a chunk (SQS) ------------------------------------------------------------------------------
def apply_chunk(tenant_id: str, import_id: str, chunk: int) -> str:
    from huike.aws import objects
    from huike.store import imports as store
    from huike.store.tenants import get_tenant

    job = store.get_job(tenant_id, import_id, consistent=True)
    if job is None:
        return "ignored: unknown import"
    if store.chunk_applied(tenant_id, import_id, chunk):
        return "ignored: already applied"
    payload = objects.read_json(_bucket(), keys.import_object_key(tenant_id, import_id, f"chunks/{chunk:05d}.json"))
    records = payload["records"]
    if job.status not in ("planning", "processing"):
        counts = {"skipped": len(records)}  # customers (or orders) not written, as created/updated count them
    else:
        tenant = get_tenant(tenant_id)
        source = f"import:{import_id}"
        at = clock.parse_iso(str(job.created_at))
        if payload["format"] == "shopify_orders":
            counts = _apply_orders(tenant, import_id, source, at, records)
        else:
            counts = _apply_customers(tenant, import_id, source, at, records)
    after = store.complete_chunk(tenant_id, import_id, chunk, counts)
    finished = after is not None and int(after.chunks_done or 0) >= int(after.chunks_total or 0)
    if finished and after is not None and store.move_job(after, "completed", from_=("planning", "processing")):
        from huike.customers.refresh import refresh_tenant

        # Customers scored while the file streamed in were scored against part of it.
        refresh_tenant(tenant_id)
    return f"chunk {chunk}: {counts}"


def _undated_at(consents: list[Any], at: datetime) -> list[Any]:
    """A statement the file gave without a date is dated to the import, so a retried chunk finds
    it already held (one ledger entry), and its wording says the file had no date."""
    return [consent if consent.at is not None else consent.model_copy(update={"at": at}) for consent in consents]


def _apply_customers(
    tenant: TenantConfig, import_id: str, source: str, at: datetime, records: list[dict[str, Any]]
) -> dict[str, int]:
    from huike.core.events import CustomerData
    from huike.customers import profile
    from huike.store import customers as customer_store
    from huike.store import identities
    from huike.store.deliveries import TransactionBatch

    data = [CustomerData.model_validate(record["customer"]) for record in records]
    claimed = identities.claimed(
        key for customer in data for key in profile.contact_claims(tenant, customer.phone, customer.email)
    )
    ids = [profile.resolve_customer_id(tenant, customer, customer.phone, customer.email, claimed) for customer in data]
    unwritten = _customers_before_writes(tenant.tenant_id, ids)
    known = {cid: customer for cid, customer in unwritten.items() if customer is not None}
    counts = {"created": 0, "updated": 0}
    batch = TransactionBatch()
    for record, customer, customer_id in zip(records, data, ids, strict=True):
        existing = known.get(customer_id or "")
        consents = [
            consent for consent in _undated_at(customer.consents, at)
            # An undated "accepts marketing" never overrides a consent Huike already holds.
            if not (existing is not None and existing.consent_state(consent.channel) and consent.at == at)
        ]  # fmt: skip
        reached = profile.resolve_customer_id(tenant, customer, customer.phone, customer.email, claimed)
        if consents and reached is not None and reached not in unwritten:
            batch.flush()  # an earlier row wrote this customer: its consent is read as that write left it
            unwritten.update(_customers_before_writes(tenant.tenant_id, [reached]))
        planned = profile.customer_change(
            tenant,
            customer.model_copy(update={"consents": consents}),
            source,
            claimed=claimed,
            prefetched=unwritten,
            contacts=_known_contacts(record, customer),
        )
        if planned is None:
            continue
        unwritten.pop(planned.customer_id, None)
        planned.change.actions += customer_store.import_actions(
            import_id,
            set(record.get("tags") or ()),
            record.get("platform_order_count"),
            record.get("platform_total_spent"),
        )
        batch.add(planned)
        for key in profile.contact_claims(tenant, customer.phone, customer.email):
            claimed.setdefault(key, planned.customer_id)
        created = existing is None or existing.imported_by == import_id
        counts["created" if created else "updated"] += 1
    batch.flush()
    return counts


def _customers_before_writes(tenant_id: str, ids: list[str | None]) -> dict[str, Any]:
    """These customers as stored (None: not stored yet), in one BatchGetItem rather than a read per
    row. The caller drops each customer it writes and reads it again (this way) when a later row
    with consent statements reaches it (only those compare with the stored consent), so no row
    works from a customer older than the chunk's own writes."""
    from huike.store import customers as customer_store

    wanted = [cid for cid in ids if cid]
    stored = customer_store.customers_by_id(tenant_id, wanted)
    return {cid: stored.get(cid) for cid in wanted}


def _apply_orders(
    tenant: TenantConfig, import_id: str, source: str, at: datetime, records: list[dict[str, Any]]
) -> dict[str, int]:
    from huike.core.events import CustomerData, Event, OrderData
    from huike.customers import profile
    from huike.store import identities
    from huike.store import orders as order_store
    from huike.store.deliveries import write_delivery

    buyers = [CustomerData.model_validate(record["customer"]) for record in records]
    orders = [OrderData.model_validate(record["order"]) for record in records]
    claimed = identities.claimed(
        key for buyer in buyers for key in profile.contact_claims(tenant, buyer.phone, buyer.email)
    )
    known = order_store.orders_by_id(tenant.tenant_id, [order.order_id for order in orders])
    buyer_ids = [profile.resolve_customer_id(tenant, buyer, buyer.phone, buyer.email, claimed) for buyer in buyers]
    unwritten = _customers_before_writes(tenant.tenant_id, buyer_ids)
    window = tenant.flows.unpaid_reminder.payment_window_hours
    counts = {"created": 0, "updated": 0}
    for buyer, order in zip(buyers, orders, strict=True):
        existing = known.get(order.order_id)
        if existing is not None and existing.imported_by == import_id:
            counts["created"] += 1  # written by an earlier attempt of this chunk
            continue
        buyer = buyer.model_copy(update={"consents": _undated_at(buyer.consents, at)})
        reached = profile.resolve_customer_id(tenant, buyer, buyer.phone, buyer.email, claimed)
        if buyer.consents and reached is not None and reached not in unwritten:  # an earlier row wrote them
            unwritten.update(_customers_before_writes(tenant.tenant_id, [reached]))
        planned = profile.customer_change(tenant, buyer, source, claimed=claimed, prefetched=unwritten)
        moment = order.paid_at or order.created_at or at
        event = Event(
            id=f"{import_id}-{order.order_id}",
            type="order.paid" if order.paid_at else "order.created",
            occurred_at=moment,
            source="import",
            customer=buyer,
            order=order,
        )
        contact = profile.order_contact(tenant, order, buyer)
        change = order_store.order_change(
            tenant.tenant_id, event, planned.customer_id if planned else None, window, contact
        )
        change.actions += order_store.import_actions(import_id)
        write_delivery(planned, change)
        if planned is not None:
            unwritten.pop(planned.customer_id, None)
            for key in profile.contact_claims(tenant, buyer.phone, buyer.email):
                claimed.setdefault(key, planned.customer_id)
        counts["created" if existing is None else "updated"] += 1
    return counts
