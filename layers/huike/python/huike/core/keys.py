"""Every business key, id and name Huike formats. No key is formatted anywhere else.

- send key          "<flow>#<subject>#<step>": the send ledger's sort key; sent at most once.
- reservation key   "<flow>#<subject>": a scheduled marketing send noted on the customer.
- subjects          an order id, a cart id, a customer id, "<customer>:<order>" (win-back),
                    "<customer>:<product>" (browse abandonment).
- execution names   deterministic, so scheduling the same wake-up twice is a no-op; a flow's
                    next touch is a continuation "<root>-<wake time>".
- agenda            wake-ups due after the sweep's reach wait as items, not executions: slot
                    (the execution name, or a name the next one replaces), due day
                    "<YYYY-MM-DD>#<nn>" over AGENDA_SHARDS.
- tenant shards     "<tenant>#<nn>": the partition key of customers, orders, carts and both
                    ledgers; the item's subject picks one of TENANT_SHARDS, so one tenant's writes
                    spread over 16 keys and a point read computes its key without a lookup.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime

_SEPARATOR = "#"
_EXECUTION_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
EXECUTION_NAME_MAX = 80
TENANT_SHARDS = 16
AGENDA_SHARDS = 16


# -- tenant shards -------------------------------------------------------------------------
def shard_number(value: str, shards: int) -> int:
    """A stable shard in [0, shards) for a value (the same in every process and release)."""
    return int(hashlib.sha256(value.encode()).hexdigest()[:8], 16) % shards


def tenant_shard(tenant_id: str, subject: str) -> str:
    """The partition key that holds a tenant's items about one subject (a customer, an order, a
    cart: the subject of a send or consent entry)."""
    return f"{tenant_id}{_SEPARATOR}{shard_number(subject, TENANT_SHARDS):02d}"


def tenant_shards(tenant_id: str) -> list[str]:
    """Every partition key of a tenant, for listings that merge them."""
    return [f"{tenant_id}{_SEPARATOR}{shard:02d}" for shard in range(TENANT_SHARDS)]


def tenant_shard_prefix(tenant_id: str) -> str:
    """What every one of a tenant's partition keys starts with (tenant ids have no "#")."""
    return f"{tenant_id}{_SEPARATOR}"


def tenant_of_shard(tenant_shard_: str) -> str:
    return tenant_shard_.rsplit(_SEPARATOR, 1)[0]


# -- send ledger and marketing reservations ------------------------------------------------
def send_key(flow: str, subject_id: str, step: str) -> str:
    return f"{flow}{_SEPARATOR}{subject_id}{_SEPARATOR}{step}"


def flow_send_key_prefix(flow: str) -> str:
    """Every send key of one flow starts with this (the send log's flow filter)."""
    return f"{flow}{_SEPARATOR}"


def send_key_prefix(flow: str, subject_id: str) -> str:
    """Every step's send key for one flow and subject starts with this."""
    return f"{flow}{_SEPARATOR}{subject_id}{_SEPARATOR}"


def reservation_key(flow: str, subject_id: str) -> str:
    return f"{flow}{_SEPARATOR}{subject_id}"


def subject_of(send_key_: str) -> str:
    """The subject (order, cart, customer...) a send key belongs to."""
    return send_key_.split(_SEPARATOR)[1]


def subject_infix(subject_id: str) -> str:
    """What every send key about `subject_id` contains, whatever its flow and step."""
    return f"{_SEPARATOR}{subject_id}{_SEPARATOR}"


def flow_of(key: str) -> str:
    """The flow a send or reservation key belongs to."""
    return key.split(_SEPARATOR, 1)[0]


# -- subjects and steps --------------------------------------------------------------------
def win_back_subject(customer_id: str, order_id: str) -> str:
    """A win-back cycle is named after the order that set its clock."""
    return f"{customer_id}:{order_id}"


def browse_subject(customer_id: str, product_id: str) -> str:
    return f"{customer_id}:{product_id}"


def day_step(moment: datetime) -> str:
    """A step per calendar day (browse abandonment: one per product and day viewed)."""
    return moment.strftime("%Y%m%d")


def year_step(year: int) -> str:
    return str(year)


# -- customers -----------------------------------------------------------------------------
def pseudonym(secret: str, value: str) -> str:
    """A keyed hash of a contact: stable for the tenant, not reversible without its key (a phone
    number's small space makes a plain hash reversible)."""
    import hmac

    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def contact_customer_id(phone: str | None, email: str | None, secret: str) -> str | None:
    """The id of a customer first known only by a contact (no platform id): a pseudonym, so no
    key, execution name or log line carries the phone or email."""
    if phone:
        return f"phone-{pseudonym(secret, phone)}"
    if email:
        return f"email-{pseudonym(secret, email.lower())}"
    return None


def erased_address(address: str, secret: str) -> str:
    """How an erased person's address stays on the suppression list: its pseudonym only."""
    return f"erased-{pseudonym(secret, address.lower())}"


def customer_key(tenant_id: str, customer_id: str) -> str:
    """The partition key of a customer's orders and sends in their customer-index."""
    return f"{tenant_id}{_SEPARATOR}{customer_id}"


def counter_key(tenant_id: str, kind: str, shard: int) -> str:
    """One shard of a tenant's maintained counters of one kind ("rhythm", "counts")."""
    return f"{tenant_id}{_SEPARATOR}{kind}{_SEPARATOR}{shard}"


def thresholds_key(tenant_id: str) -> str:
    """The tenant's published RFM thresholds (refreshed nightly)."""
    return f"{tenant_id}{_SEPARATOR}rfm-thresholds"


def segment_key(tenant_id: str, segment: str, shard: int) -> str:
    """One shard of a segment's members (the customers table's segment-index)."""
    return f"{tenant_id}{_SEPARATOR}{segment}{_SEPARATOR}{shard}"


def tag_member_key(tenant_id: str, tag: str, shard: int) -> str:
    """One shard of a tag's members (the tag members table): manual tags as the seller wrote
    them, industry tags "industry:<industry>:<tag>", automatic tags "auto:<name>"."""
    return f"{tenant_id}{_SEPARATOR}{tag}{_SEPARATOR}{shard}"


def seen_key(tenant_id: str, event_id: str) -> str:
    """The marker that a stream event was applied to a tenant's counters."""
    return f"{tenant_id}{_SEPARATOR}seen{_SEPARATOR}{event_id}"


def identity_claim_key(tenant_id: str, kind: str, value: str, secret: str) -> str:
    """The key of the claim that a phone or email ("phone", "email") identifies one customer of a
    tenant: keyed by its pseudonym, so the key carries no contact."""
    return f"{tenant_id}{_SEPARATOR}{kind}{_SEPARATOR}{pseudonym(secret, value.lower())}"


def new_import_id(moment: datetime, random_hex: str) -> str:
    """Sorts by creation time, so a tenant's imports list newest first by key."""
    return f"imp_{moment:%Y%m%d%H%M%S}{random_hex}"


def import_key(import_id: str) -> str:
    """An import job's sort key in the imports table."""
    return f"import{_SEPARATOR}{import_id}"


def import_chunk_key(import_id: str, chunk: int) -> str:
    """The marker that one chunk of an import was applied."""
    return f"chunk{_SEPARATOR}{import_id}{_SEPARATOR}{chunk:05d}"


def import_content_key(sha256: str) -> str:
    """The claim that a file's content (by hash) is being or was imported."""
    return f"content{_SEPARATOR}{sha256}"


def import_object_key(tenant_id: str, import_id: str, part: str) -> str:
    """Where an import's upload ("upload"), chunks ("chunks/00001.json") and report ("report.csv")
    live in the imports bucket. Uploads land under uploads/, which is what notifies the planner."""
    folder = "uploads" if part == "upload" else "work"
    return f"{folder}/{tenant_id}/{import_id}/{part}"


def platform_identity(customer_id: str) -> str:
    return f"id:{customer_id}"


def phone_identity(phone: str) -> str:
    return f"phone:{phone}"


def email_identity(email: str) -> str:
    return f"email:{email.lower()}"


# -- consent ledger ------------------------------------------------------------------------
def consent_subject(customer_id: str | None, address: str | None) -> str:
    """Whose statement: the customer, else the bare address (an SMS reply from a number)."""
    return customer_id or f"address-{address}"


def consent_entry_id(subject: str, at_iso: str, channel: str, unique: str) -> str:
    """Sorted by subject then time; the unique part keeps two statements in one second apart."""
    return f"{subject}{_SEPARATOR}{at_iso}{_SEPARATOR}{channel}{_SEPARATOR}{unique}"


def consent_history_prefix(customer_id: str) -> str:
    return f"{customer_id}{_SEPARATOR}"


def consent_subject_of(entry_id: str) -> str:
    """Whose statement a consent entry id records (consent_entry_id's first part)."""
    return entry_id.split(_SEPARATOR, 1)[0]


# -- webhook deliveries and executions -------------------------------------------------------
def change_id(at_iso: str, unique: str) -> str:
    """A seller's change to settings or flows, sorted by time."""
    return f"{at_iso}{_SEPARATOR}{unique}"


def delivery_key(tenant_id: str, source: str, delivery_id: str) -> str:
    """The idempotency key of one platform delivery."""
    return f"{tenant_id}:{source}:{delivery_id}"


def execution_name(*parts: str) -> str:
    """A deterministic, valid execution name (<= 80 chars of [A-Za-z0-9_-])."""
    name = "-".join(_EXECUTION_NAME_UNSAFE.sub("_", part) for part in parts)
    if len(name) > EXECUTION_NAME_MAX:
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        name = f"{name[: EXECUTION_NAME_MAX - 17]}-{digest}"
    return name


def continuation_name(root: str, wake_at: datetime) -> str:
    """The execution that runs a flow's next wake-up (a deferral, a moved deadline, a second
    touch): its root's name and the time it wakes, so a retried step starts it only once."""
    return execution_name(root, wake_at.strftime("%Y%m%dT%H%M%S"))


# -- agenda ------------------------------------------------------------------------------------
def agenda_day_key(day: date, shard: int) -> str:
    """A due-day partition of the agenda's due-index (one of AGENDA_SHARDS for each day)."""
    return f"{day.isoformat()}{_SEPARATOR}{shard:02d}"


def agenda_due_key(slot: str, day: date) -> str:
    """Where a slot's wake-up waits in the due-index: its day, on the slot's own shard."""
    return agenda_day_key(day, shard_number(slot, AGENDA_SHARDS))
