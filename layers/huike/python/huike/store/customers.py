"""Customers: profile, contacts, current consent, order stats, marketing sends and reservations.

Access patterns:
  get / update by (tenant_id, customer_id)     GetItem / UpdateItem  PK tenant_shard (keys.tenant_shard
                                                of the customer id), SK customer_id
  the customer known by a phone number         Query GSI phone-index (PK phone, SK tenant_shard
                                                begins_with "<tenant>#"), keys only
  the customer known by an email address       Query GSI email-index (PK email, SK tenant_shard ...), keys only
  a tenant's customers in id order (seller API) Query each of the 16 shards, SK > cursor, merged
  ... by last order, in a date range (seller API) Query GSI last_order-index (PK tenant_shard, SK
                                                last_order_at) on each shard, newest first, merged;
                                                sparse (ordered only)
  ... with a manual tag or marketing consent     a filter on either query (reads the range, pages)
  a segment's customers, in id order            Query GSI segment-index (PK "<tenant>#<segment>#<shard>",
                                                SK customer_id, keys only) on each of 8 shards, merged;
                                                then BatchGetItem of the page
  the customers of a page of ids (imports)      BatchGetItem
  profile + consent state + ledger entries     TransactWriteItems (state and history never disagree)

Bounded lists on the item: `marketing_sends` keeps the last 7 days; `marketing_pending` holds one
entry per scheduled marketing send (one per key, a customer's one win-back cycle, none due more
than 7 days ago, at most MAX_PENDING), released when it is sent, passed over or its flow exits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.operand import Path
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from huike.core import clock, keys
from huike.core.enums import Channel
from huike.core.events import ConsentData
from huike.store.base import (
    BoundTable,
    Change,
    TenantSharded,
    dynamodb_connection,
    get_sharded,
    merged_page,
    register,
    sharded_page,
    update_existing,
    utc,
)
from huike.store.consent import ConsentEntry, consent_entries

MARKETING_HISTORY = timedelta(days=7)


class PhoneIndex(GlobalSecondaryIndex["Customer"]):
    class Meta:
        index_name = "phone-index"
        projection = KeysOnlyProjection()

    phone = UnicodeAttribute(hash_key=True)
    tenant_shard = UnicodeAttribute(range_key=True)


class EmailIndex(GlobalSecondaryIndex["Customer"]):
    class Meta:
        index_name = "email-index"
        projection = KeysOnlyProjection()

    email = UnicodeAttribute(hash_key=True)
    tenant_shard = UnicodeAttribute(range_key=True)


class LastOrderIndex(GlobalSecondaryIndex["Customer"]):
    class Meta:
        index_name = "last_order-index"
        projection = AllProjection()

    tenant_shard = UnicodeAttribute(hash_key=True)
    last_order_at = UTCDateTimeAttribute(range_key=True)


class SegmentIndex(GlobalSecondaryIndex["Customer"]):
    class Meta:
        index_name = "segment-index"
        projection = KeysOnlyProjection()

    segment_key = UnicodeAttribute(hash_key=True)  # keys.segment_key: "<tenant>#<segment>#<shard>"
    customer_id = UnicodeAttribute(range_key=True)


class PendingSend(MapAttribute[str, Any]):
    key = UnicodeAttribute()  # keys.reservation_key
    due = UnicodeAttribute()


@register
class Customer(TenantSharded, Model):
    class Meta(metaclass=BoundTable):
        table_setting = "customers_table"

    tenant_shard = UnicodeAttribute(hash_key=True)  # keys.tenant_shard(tenant, customer id)
    customer_id = UnicodeAttribute(range_key=True)
    identities = UnicodeSetAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    phone_index = PhoneIndex()
    email_index = EmailIndex()
    phone_textable = BooleanAttribute(null=True)
    phone_timezone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    email_valid = BooleanAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    country = UnicodeAttribute(null=True)
    birthday = UnicodeAttribute(null=True)  # YYYY-MM-DD
    tags = UnicodeSetAttribute(null=True)  # the seller's own (manual) tags
    industry_tags = UnicodeSetAttribute(null=True)  # "<industry>:<tag>", from the industry pools
    opted_out_channels = UnicodeSetAttribute(null=True)
    # Current marketing consent per channel: {"granted": bool, "at": iso, "source": str}.
    # The full history (wording, proof) is in the consent ledger.
    sms_consent = JSONAttribute(null=True)
    mms_consent = JSONAttribute(null=True)
    email_consent = JSONAttribute(null=True)
    order_count = NumberAttribute(null=True)
    total_spent = NumberAttribute(null=True)
    first_order_at = UTCDateTimeAttribute(null=True)
    last_order_at = UTCDateTimeAttribute(null=True)
    last_order_id = UnicodeAttribute(null=True)
    last_order_index = LastOrderIndex()
    # Marketing sends of the last 7 days, for frequency caps: [{"at", "channel", "flow"}]
    marketing_sends = JSONAttribute(null=True)
    # Marketing flows scheduled for this customer, for cap priority (pending_after bounds it).
    marketing_pending = ListAttribute(of=PendingSend, null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    # Imports: the import that first wrote this customer, and the platform's own totals from a
    # customer export (kept apart: Huike's stats come from orders, which carry dates).
    imported_by = UnicodeAttribute(null=True)
    platform_order_count = NumberAttribute(null=True)
    platform_total_spent = NumberAttribute(null=True)
    # RFM as last scored (on each order, and by the nightly refresh when the thresholds move):
    # the scores "<R><F><M>", the segment, and the key that lists the customer in it.
    rfm = UnicodeAttribute(null=True)
    segment = UnicodeAttribute(null=True)
    segment_key = UnicodeAttribute(null=True)
    segment_index = SegmentIndex()
    # Automatic tags as last computed ("auto:new", "auto:buys:tea"...), by the same writes as the
    # segment; listed through the tag members table like the seller's own tags.
    auto_tags = UnicodeSetAttribute(null=True)
    # The last paid order per category bought: {category: ISO time} (per-category buyer tags and
    # replenishment intervals); at most MAX_CATEGORIES, the oldest dropped.
    category_last = JSONAttribute(null=True)

    def pending_sends(self) -> dict[str, datetime]:
        return {entry.key: clock.parse_iso(entry.due) for entry in self.marketing_pending or []}

    def consent_state(self, channel: str) -> dict[str, Any] | None:
        state: dict[str, Any] | None = getattr(self, _CONSENT_ATTRIBUTE[Channel(channel)].attr_name)
        return state

    def has_marketing_consent(self, channel: str) -> bool:
        entry = self.consent_state(channel)
        if channel == Channel.MMS and entry is None:
            entry = self.sms_consent  # consent to marketing texts covers picture messages
        return bool(entry and entry.get("granted"))

    @property
    def mean_order_interval_days(self) -> float | None:
        if not self.order_count or self.order_count < 2 or not self.first_order_at or not self.last_order_at:
            return None
        return (self.last_order_at - self.first_order_at).total_seconds() / 86400 / (self.order_count - 1)


_CONSENT_ATTRIBUTE = {
    Channel.SMS: Customer.sms_consent,
    Channel.MMS: Customer.mms_consent,
    Channel.EMAIL: Customer.email_consent,
}


@dataclass(frozen=True)
class ProfileWrite:
    """What one event says about a customer, already normalised (customers.profile builds it)."""

    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    country: str | None = None
    birthday: str | None = None
    phone: str | None = None
    phone_textable: bool | None = None
    phone_timezone: str | None = None
    email: str | None = None
    email_valid: bool | None = None
    identities: frozenset[str] = field(default_factory=frozenset)


def customer_from_stream_image(image: dict[str, Any] | None) -> Customer | None:
    """A customer from a stream record's image (DynamoDB JSON)."""
    return Customer.from_raw_data(image) if image else None


def get_customer(tenant_id: str, customer_id: str) -> Customer | None:
    return get_sharded(Customer, tenant_id, customer_id)


SELLER_EDITABLE = ("first_name", "last_name", "locale", "timezone", "birthday", "tags", "industry_tags")


def update_profile_fields(tenant_id: str, customer_id: str, fields: Mapping[str, Any]) -> bool:
    """Set (or, for None, clear) seller-editable fields of an existing customer; False when there
    is no such customer."""

    attributes = {name: getattr(Customer, name) for name in SELLER_EDITABLE}
    actions: list[Any] = [
        attributes[name].remove() if value is None or value == [] else attributes[name].set(value)
        for name, value in fields.items()
        if name in attributes
    ]
    actions.append(Customer.updated_at.set(clock.now()))
    return update_existing(Customer.key(tenant_id, customer_id), actions)


def change_tags(tenant_id: str, customer_id: str, add: set[str], remove: set[str]) -> bool:
    """Add, then remove, manual tags: set ADD and DELETE, so no read and no lost update (DynamoDB
    takes one of them per attribute in an UpdateItem, hence two when both are asked). False when
    there is no such customer."""

    steps = [Customer.tags.add(add) if add else None, Customer.tags.delete(remove - add) if remove - add else None]
    for step in [s for s in steps if s is not None]:
        if not update_existing(Customer.key(tenant_id, customer_id), [step, Customer.updated_at.set(clock.now())]):
            return False
    return True


def delete_customer(tenant_id: str, customer_id: str) -> int:
    """Delete the profile (erasure); 1 when there was one."""
    Customer.key(tenant_id, customer_id).delete()
    return 1


def customer_filter(tag: str | None = None, consent_channel: str | None = None, reach: str | None = None) -> Any:
    """A filter for the seller's list: a manual tag, marketing consent on a channel, reach
    (phone_and_email, phone_only, email_only, unreachable: a textable phone, a valid email)."""
    conditions = []
    if reach:
        phone, email = Customer.phone_textable == True, Customer.email_valid == True  # noqa: E712
        conditions.append(
            {
                "phone_and_email": phone & email,
                "phone_only": phone & ~email,
                "email_only": ~phone & email,
                "unreachable": ~phone & ~email,
            }[reach]
        )
    if tag:
        conditions.append(
            Customer.tags.contains(tag) | Customer.industry_tags.contains(tag) | Customer.auto_tags.contains(tag)
        )
    if consent_channel:
        # Current consent is one JSON string (json.dumps, as PynamoDB's JSONAttribute writes it),
        # matched as text through a plain path (the attribute would JSON-encode the operand). MMS
        # consent falls back to SMS consent, as has_marketing_consent does.
        def granted_on(attribute: Any) -> Any:
            return Path(attribute.attr_name).contains('"granted": true')

        granted = granted_on(_CONSENT_ATTRIBUTE[Channel(consent_channel)])
        if consent_channel == Channel.MMS:
            granted = granted | (Customer.mms_consent.does_not_exist() & granted_on(Customer.sms_consent))
        conditions.append(granted)
    combined = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    return combined


def customers_page(
    tenant_id: str, *, limit: int, after: str | None, filter_condition: Any = None
) -> tuple[list[Customer], str | None]:
    """The tenant's customers in id order (the seller API's list), `limit` at a time (merged
    from the tenant's shards: a page may hold fewer than `limit`)."""
    return sharded_page(Customer, tenant_id, "customer_id", limit=limit, after=after, filter_condition=filter_condition)


def customers_by_last_order(
    tenant_id: str,
    *,
    limit: int,
    after: tuple[datetime, str] | None,
    since: datetime | None = None,
    until: datetime | None = None,
    filter_condition: Any = None,
) -> tuple[list[Customer], tuple[datetime, str] | None]:
    """Customers who ordered, newest last order first, in [since, until); `after` is the
    (last_order_at, customer_id) of the previous page's last customer."""
    attribute = Customer.last_order_at
    range_condition: Any
    if since and until:
        range_condition = attribute.between(since, until - timedelta(microseconds=1))
    elif since:
        range_condition = attribute >= since
    elif until:
        range_condition = attribute < until
    else:
        range_condition = None

    def start(partition: str) -> dict[str, Any] | None:
        if after is None:
            return None
        moment, customer_id = after
        return {
            "tenant_shard": {"S": partition},
            "customer_id": {"S": customer_id},
            "last_order_at": {"S": attribute.serialize(moment)},
        }

    # Newest first; equal times by customer id, descending (the index's order of the table key).
    page, last = merged_page(
        Customer.last_order_index,
        keys.tenant_shards(tenant_id),
        limit=limit,
        order=lambda item: (item.last_order_at, str(item.customer_id)),
        start=start,
        range_condition=range_condition,
        filter_condition=filter_condition,
        scan_index_forward=False,
    )
    return page, ((last.last_order_at, str(last.customer_id)) if last is not None else None)


def customers_by_id(tenant_id: str, customer_ids: list[str]) -> dict[str, Customer]:
    """The customers that exist among these ids (BatchGetItem, 100 keys a call)."""
    wanted = list(dict.fromkeys(customer_ids))
    return (
        {str(c.customer_id): c for c in Customer.batch_get([Customer.key_tuple(tenant_id, cid) for cid in wanted])}
        if wanted
        else {}
    )


def import_actions(
    import_id: str, tags: set[str], platform_order_count: int | None, platform_total_spent: str | None
) -> list[Any]:
    """What an imported row adds to its customer's write: its tags (added to the manual ones),
    the platform's totals, and (once) which import created the customer."""
    actions: list[Any] = [Customer.imported_by.set(Customer.imported_by | import_id)]
    if tags:
        actions.append(Customer.tags.add(tags))
    if platform_order_count is not None:
        actions.append(Customer.platform_order_count.set(platform_order_count))
    if platform_total_spent is not None:
        actions.append(Customer.platform_total_spent.set(float(Decimal(platform_total_spent))))
    return actions


SEGMENT_SHARDS = 8


def set_scores(customer: Customer, scores: tuple[str, str] | None, auto_tags: frozenset[str]) -> bool:
    """Store the customer's scores and segment (when given) and automatic tags, if the stats they
    came from are still the ones stored (a concurrent order re-scores it anyway); False when
    they were not."""
    from huike.store.insights import shard_of

    unchanged = (
        (Customer.order_count == customer.order_count)
        & (Customer.total_spent == customer.total_spent)
        & (Customer.last_order_at == customer.last_order_at)
    )
    actions: list[Any] = [Customer.auto_tags.set(set(auto_tags)) if auto_tags else Customer.auto_tags.remove()]
    if scores is not None:
        rfm, segment = scores
        key = keys.segment_key(str(customer.tenant_id), segment, shard_of(str(customer.customer_id)) % SEGMENT_SHARDS)
        actions += [Customer.rfm.set(rfm), Customer.segment.set(segment), Customer.segment_key.set(key)]
    return update_existing(Customer.key(customer.tenant_id, str(customer.customer_id)), actions, unchanged)


def customers_in_segment(
    tenant_id: str, segment: str, *, limit: int, after: str | None
) -> tuple[list[Customer], str | None]:
    """A segment's customers in id order, `limit` at a time: the segment-index's shards (keys
    only) merged, then one BatchGetItem of the page."""

    def start(partition: str) -> dict[str, Any] | None:
        if after is None:
            return None
        shard, _ = Customer.key_tuple(tenant_id, after)
        return {"segment_key": {"S": partition}, "tenant_shard": {"S": shard}, "customer_id": {"S": after}}

    heads, last = merged_page(
        Customer.segment_index,
        [keys.segment_key(tenant_id, segment, shard) for shard in range(SEGMENT_SHARDS)],
        limit=limit,
        order=lambda item: str(item.customer_id),
        start=start,
    )
    page = [str(item.customer_id) for item in heads]
    found = customers_by_id(tenant_id, page)
    return [found[cid] for cid in page if cid in found], (str(last.customer_id) if last is not None else None)


def customer_id_by_phone(tenant_id: str, phone: str) -> str | None:
    mine = Customer.tenant_shard.startswith(keys.tenant_shard_prefix(tenant_id))
    known = next(iter(Customer.phone_index.query(phone, mine, limit=1)), None)
    return str(known.customer_id) if known is not None else None


def customer_id_by_email(tenant_id: str, email: str) -> str | None:
    mine = Customer.tenant_shard.startswith(keys.tenant_shard_prefix(tenant_id))
    known = next(iter(Customer.email_index.query(email, mine, limit=1)), None)
    return str(known.customer_id) if known is not None else None


@dataclass
class ProfileChange:
    """What one event writes to a customer, not yet sent: the profile update, the consent ledger
    entries that must commit with it, and (when the customer was read first, for consent) the
    customer as it will be stored."""

    change: Change
    entries: list[ConsentEntry]
    after: Customer | None
    claims: list[Change] = field(default_factory=list)  # store.identities claims for new contacts

    @property
    def customer_id(self) -> str:
        return str(self.change.item.customer_id)  # type: ignore[attr-defined]


def profile_change(
    tenant_id: str,
    customer_id: str,
    profile: ProfileWrite,
    consents: list[ConsentData],
    source: str,
    reservation: tuple[str, datetime] | None = None,
    prefetched: Mapping[str, Customer | None] | None = None,
) -> ProfileChange:
    """The customer's update and consent ledger entries for one event (written by store.deliveries).
    `prefetched` holds customers the caller read already (None: no such customer); a customer
    not in it is read here when the event's consents need it."""
    now = clock.now()
    # (attribute, value) pairs: PynamoDB attributes are not hashable.
    values: list[tuple[Any, Any]] = [
        (attribute, value)
        for attribute, value in (
            (Customer.first_name, profile.first_name),
            (Customer.last_name, profile.last_name),
            (Customer.locale, profile.locale),
            (Customer.timezone, profile.timezone),
            (Customer.country, profile.country),
            (Customer.birthday, profile.birthday),
            (Customer.email, profile.email),
            (Customer.email_valid, profile.email_valid),
        )
        if value is not None and value != ""
    ]
    values.append((Customer.updated_at, now))
    # A textable number replaces the one on file; one that cannot be texted (invalid, landline) is
    # kept only while there is none, so it never silences a buyer's working number.
    phone_values: list[tuple[Any, Any]] = [
        (attribute, value)
        for attribute, value in (
            (Customer.phone, profile.phone),
            (Customer.phone_textable, profile.phone_textable),
            (Customer.phone_timezone, profile.phone_timezone),
        )
        if value is not None and value != ""
    ]
    replaces_phone = bool(profile.phone_textable)
    if prefetched is not None and customer_id in prefetched:
        known = prefetched[customer_id]
    else:
        known = get_customer(tenant_id, customer_id) if consents else None
    # A statement already held (same answer, same time, same source) is a repeat: one effect.
    consents = [consent for consent in consents if not _already_held(known, consent, source)]
    newest = {Channel(consent.channel): consent for consent in _newer_than_known(known, consents)}
    values += [(_CONSENT_ATTRIBUTE[channel], _consent_state(consent, source)) for channel, consent in newest.items()]
    actions: list[Any] = [attribute.set(value) for attribute, value in values]
    actions += [attribute.set(value if replaces_phone else attribute | value) for attribute, value in phone_values]
    actions += [Customer.created_at.set(Customer.created_at | now), Customer.identities.add(set(profile.identities))]
    if reservation is not None:
        known = known or get_customer(tenant_id, customer_id)
        reserved = pending_after(known.marketing_pending if known else None, *reservation)
        actions.append(Customer.marketing_pending.set(reserved))
    change = Change(Customer.key(tenant_id, customer_id), actions)
    if not consents:
        return ProfileChange(change, [], None)
    address = profile.phone or profile.email
    entries = consent_entries(tenant_id, customer_id, address, consents, source)
    # A transaction returns no item: the customer as read just before, with this write applied.
    after = known or Customer.key(tenant_id, customer_id, created_at=now)
    for attribute, value in values:
        setattr(after, attribute.attr_name, value)
    if replaces_phone or after.phone is None:
        for attribute, value in phone_values:
            setattr(after, attribute.attr_name, value)
    after.identities = set(after.identities or set()) | set(profile.identities)
    if reservation is not None:
        after.marketing_pending = reserved
    return ProfileChange(change, entries, after)


def _consent_state(consent: ConsentData, source: str) -> dict[str, Any]:
    at = clock.to_iso(utc(consent.at)) if consent.at else clock.to_iso(clock.now())
    return {"granted": consent.granted, "at": at, "source": source}


def _already_held(known: Customer | None, consent: ConsentData, source: str) -> bool:
    held = known.consent_state(consent.channel) if known is not None else None
    return bool(
        held
        and consent.at is not None
        and held.get("granted") == consent.granted
        and held.get("source") == source
        and held.get("at") == clock.to_iso(utc(consent.at))
    )


def _newer_than_known(known: Customer | None, consents: list[ConsentData]) -> list[ConsentData]:
    """Statements that may change the current consent: not older than the one already held.
    (All of them still go to the ledger; a late, stale statement must not undo a withdrawal.)"""
    if known is None:
        return consents
    newer = []
    for consent in consents:
        held = known.consent_state(consent.channel)
        at = utc(consent.at) if consent.at else clock.now()
        if not held or at >= clock.parse_iso(held["at"]):
            newer.append(consent)
    return newer


def set_consent(customer: Customer, consent: ConsentData, source: str) -> None:
    """Set the current marketing consent for one channel (the ledger entry is written apart)."""
    attribute = _CONSENT_ATTRIBUTE[Channel(consent.channel)]
    customer.update(actions=[attribute.set(_consent_state(consent, source))])


# -- order stats -----------------------------------------------------------------------------
MAX_CATEGORIES = 30  # categories remembered per customer (the most recently bought)


def record_paid_order(
    tenant_id: str,
    customer_id: str,
    order_id: str,
    total_price: str | None,
    placed: datetime,
    categories: frozenset[str] = frozenset(),
) -> Customer | None:
    """Add an order to its customer's stats exactly once: the stats update and a mark on the order
    commit together, and a retried stream record finds the mark and changes nothing. A repeat
    order also counts its interval since the customer's previous order in the tenant's rhythm
    (store.insights), in the same transaction; the customer is read first and the write is
    conditional on its last order being unchanged (a concurrent one retries). The last order never
    moves back when an older order is paid late. Each category the order holds is remembered
    with its date (`category_last`), and a category bought again counts its own interval.
    Returns the customer after the update (None if it does not exist)."""
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from huike.store.insights import interval_update
    from huike.store.orders import Order

    try:
        amount = float(Decimal(total_price or "0"))
    except InvalidOperation:
        amount = 0.0
    placed = utc(placed)
    for _ in range(3):
        known = get_sharded(Customer, tenant_id, customer_id, consistent_read=True)
        if known is None:
            return None
        previous = known.last_order_at
        unchanged = Customer.last_order_at == previous if previous else Customer.last_order_at.does_not_exist()
        bought = dict(known.category_last or {})
        category_days = {
            category: (placed - clock.parse_iso(bought[category])).total_seconds() / 86400
            for category in categories
            if category in bought and placed > clock.parse_iso(bought[category])
        }
        for category in categories:
            if category not in bought or placed > clock.parse_iso(bought[category]):
                bought[category] = clock.to_iso(placed)
        bought = dict(sorted(bought.items(), key=lambda item: item[1], reverse=True)[:MAX_CATEGORIES])
        rhythm = interval_update(
            tenant_id,
            customer_id,
            (placed - previous).total_seconds() / 86400 if previous is not None and placed > previous else None,
            category_days,
        )
        try:
            with TransactWrite(connection=dynamodb_connection()) as transaction:
                transaction.update(
                    Order.key(tenant_id, order_id),
                    actions=[Order.stats_counted_at.set(clock.now())],
                    condition=Order.stats_counted_at.does_not_exist(),
                )
                transaction.update(
                    Customer.key(tenant_id, customer_id),
                    actions=[
                        Customer.order_count.add(1),
                        Customer.total_spent.add(amount),
                        Customer.first_order_at.set(Customer.first_order_at | placed),
                        *(
                            [Customer.last_order_at.set(placed), Customer.last_order_id.set(order_id)]
                            if previous is None or placed >= previous
                            else []
                        ),
                        *([Customer.category_last.set(bought)] if categories else []),
                    ],
                    condition=unchanged,
                )
                if rhythm is not None:
                    shard, actions = rhythm
                    transaction.update(shard, actions=actions)
        except TransactWriteError as exc:
            reasons = [reason.code if reason is not None else None for reason in exc.cancellation_reasons]
            if reasons[0] == "ConditionalCheckFailed":
                break  # already counted: nothing changed
            if "ConditionalCheckFailed" in reasons[1:2]:
                continue  # another order changed the customer meanwhile: read again
            raise  # a real failure: the stream retries
        break
    else:
        raise RuntimeError("the customer kept changing while its order was counted; the stream retries")
    return get_sharded(Customer, tenant_id, customer_id)


# -- marketing reservations and sends (caps and priority) --------------------------------------
def _pending(key: str, due: datetime) -> PendingSend:
    return PendingSend(key=key, due=clock.to_iso(due))


MAX_PENDING = 16


def pending_after(
    pending: list[PendingSend] | None, key: str, due: datetime, replacing: str | None = None
) -> list[PendingSend]:
    """The reservations once `key` is reserved for `due`: one entry per key (a cart updated again
    moves its own), none under `replacing` (a new win-back cycle replaces the last), none due
    more than 7 days ago (its flow has decided long since), and at most MAX_PENDING, latest due
    kept. Bounded whatever the customer's history."""
    stale = clock.now() - MARKETING_HISTORY
    kept = [
        entry
        for entry in pending or []
        if entry.key != key
        and not (replacing and str(entry.key).startswith(replacing))
        and clock.parse_iso(entry.due) > stale
    ]
    kept.append(_pending(key, due))
    kept.sort(key=lambda entry: str(entry.due))
    return kept[-MAX_PENDING:]


def reserve_marketing(
    tenant_id: str,
    customer_id: str,
    key: str,
    due: datetime,
    replacing: str | None = None,
    known: Customer | None = None,
) -> None:
    """Note a scheduled marketing send, so a lower-priority flow can yield to it under caps.

    Read (unless the caller has the customer as just written), then set: a reservation written
    concurrently by another event may be lost, which only weakens one cap-priority hint (the
    send itself is decided on the ledger)."""
    known = known or get_customer(tenant_id, customer_id)
    pending = pending_after(known.marketing_pending if known else None, key, due, replacing)
    Customer.key(tenant_id, customer_id).update(actions=[Customer.marketing_pending.set(pending)])


def note_marketing_send(customer: Customer, channel: str, flow: str, key: str, at: datetime) -> None:
    """Keep the last 7 days of marketing sends on the customer and release the reservation."""
    horizon = at - MARKETING_HISTORY
    recent = [s for s in (customer.marketing_sends or []) if clock.parse_iso(s["at"]) > horizon]
    recent.append({"at": clock.to_iso(at), "channel": channel, "flow": flow})
    pending = [
        entry for entry in customer.marketing_pending or [] if entry.key != key and clock.parse_iso(entry.due) > horizon
    ]
    customer.update(actions=[Customer.marketing_sends.set(recent), Customer.marketing_pending.set(pending)])


def release_reservation(tenant_id: str, customer_id: str, key: str) -> None:
    """A flow that exits before sending gives its reservation back."""
    customer = get_customer(tenant_id, customer_id)
    if customer is not None:
        release_marketing(customer, key)


def release_marketing(customer: Customer, key: str) -> None:
    pending = customer.marketing_pending or []
    if any(entry.key == key for entry in pending):
        customer.update(actions=[Customer.marketing_pending.set([e for e in pending if e.key != key])])
