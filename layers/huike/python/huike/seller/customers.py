"""Customers as a seller sees them: the list (by contact, or every customer in id order, paged),
one customer's profile with its consent, suppressions and order stats, and the consent ledger's
history for that customer (append-only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from huike.config.tenant import Locale
from huike.core import clock
from huike.core.enums import Channel
from huike.core.errors import BadRequest, NotFound
from huike.core.zones import zone
from huike.customers import counting
from huike.seller.bodies import ConsentStatement
from huike.seller.paging import Page, decode_cursor, decode_cursor_fields, encode_cursor

PLATFORM_PREFIXES = ("shopify-", "woocommerce-")


@dataclass(frozen=True)
class CustomerQuery:
    """The seller's list: one customer by a contact or platform id, else pages in id order or by
    last order (newest first, optionally in a date range), filtered by manual tag or consent."""

    phone: str | None = None
    email: str | None = None
    platform_id: str | None = None
    tag: str | None = None
    consent: str | None = None
    last_order_after: datetime | None = None
    last_order_before: datetime | None = None
    sort: str = "id"
    reach: str | None = None
    segment: str | None = None


def list_customers(tenant_id: str, query: CustomerQuery, *, limit: int = 50, cursor: str | None = None) -> Page:
    from huike.store import customers as store

    if query.consent is not None and query.consent not in {c.value for c in Channel}:
        raise BadRequest(f"consent must be one of {', '.join(c.value for c in Channel)}")
    if query.phone or query.email or query.platform_id:
        found = _one(tenant_id, query)
        keep = found is not None and _matches(found, query)
        return Page(items=[_summary(found)] if keep else [])
    if query.segment:
        return _in_segment(tenant_id, query, limit, cursor)
    if query.tag and query.sort == "id" and not (query.last_order_after or query.last_order_before):
        return _with_tag(tenant_id, query, limit, cursor)
    condition = store.customer_filter(query.tag, query.consent, query.reach)
    by_last_order = query.sort == "last_order" or query.last_order_after or query.last_order_before
    if by_last_order:
        after = _last_order_position(cursor) if cursor else None
        records, last_seen = store.customers_by_last_order(
            tenant_id,
            limit=limit,
            after=after,
            since=query.last_order_after,
            until=query.last_order_before,
            filter_condition=condition,
        )
        following = (
            encode_cursor({"last_order_at": clock.to_iso(last_seen[0]), "customer_id": last_seen[1]})
            if last_seen
            else None
        )
        return Page(items=[_summary(c) for c in records], next_cursor=following)
    after_id = decode_cursor(cursor, "customer_id") if cursor else None
    records, last = store.customers_page(tenant_id, limit=limit, after=after_id, filter_condition=condition)
    return Page(
        items=[_summary(c) for c in records], next_cursor=encode_cursor({"customer_id": last}) if last else None
    )


SEGMENT_PAGES_PER_CALL = 10


def _in_segment(tenant_id: str, query: CustomerQuery, limit: int, cursor: str | None) -> Page:
    """A segment's customers in id order through its index (O(page))."""
    from huike.customers.rfm import Segment
    from huike.store import customers as store

    if query.segment not in {s.value for s in Segment}:
        raise BadRequest(f"segment must be one of {', '.join(s.value for s in Segment)}")
    if query.sort != "id" or query.last_order_after or query.last_order_before:
        raise BadRequest("a segment is listed in id order; last_order filters do not apply to it")

    def page_of(after: str | None, size: int) -> tuple[list[Any], str | None]:
        return store.customers_in_segment(tenant_id, str(query.segment), limit=size, after=after)

    return _through_index(page_of, query, limit, cursor)


def _with_tag(tenant_id: str, query: CustomerQuery, limit: int, cursor: str | None) -> Page:
    """A tag's customers in id order through the tag members table (O(page))."""
    from huike.store import customers as store
    from huike.store.tag_members import members_page

    def page_of(after: str | None, size: int) -> tuple[list[Any], str | None]:
        ids, last = members_page(tenant_id, str(query.tag), limit=size, after=after)
        found = store.customers_by_id(tenant_id, ids)
        return [found[customer_id] for customer_id in ids if customer_id in found], last

    return _through_index(page_of, query, limit, cursor)


IndexPage = Callable[[str | None, int], tuple[list[Any], str | None]]  # (after, size) -> (customers, last)


def _through_index(page_of: IndexPage, query: CustomerQuery, limit: int, cursor: str | None) -> Page:
    """Pages of an index's customers, each checked against the query as stored now (an index
    follows the customer through a stream, so it may lag a write by moments); the other
    filters apply to each page read (at most 10 pages a call, so a sparse match answers with a
    cursor to go on)."""
    after = decode_cursor(cursor, "customer_id") if cursor else None
    items: list[dict[str, Any]] = []
    for _ in range(SEGMENT_PAGES_PER_CALL):
        page, after = page_of(after, limit - len(items))
        items += [_summary(c) for c in page if _matches(c, query)]
        if after is None or len(items) >= limit:
            break
    return Page(items=items, next_cursor=encode_cursor({"customer_id": after}) if after else None)


def _last_order_position(cursor: str) -> tuple[datetime, str]:
    position = decode_cursor_fields(cursor, "last_order_at", "customer_id")
    try:
        return clock.parse_iso(position["last_order_at"]), position["customer_id"]
    except ValueError:
        raise BadRequest("cursor is not one this API returned") from None


def _one(tenant_id: str, query: CustomerQuery) -> Any:
    from huike.store import customers as store

    if query.platform_id:
        for candidate in (query.platform_id, *(prefix + query.platform_id for prefix in PLATFORM_PREFIXES)):
            if (found := store.get_customer(tenant_id, candidate)) is not None:
                return found
        return None
    customer_id = _by_contact(tenant_id, query.phone, query.email)
    return store.get_customer(tenant_id, customer_id) if customer_id else None


def _matches(customer: Any, query: CustomerQuery) -> bool:
    """The other filters, applied to the one customer a contact or platform id found."""
    last = customer.last_order_at
    return (
        (not query.tag or query.tag in counting.listed_tags(customer))
        and (not query.segment or customer.segment == query.segment)
        and (not query.consent or customer.has_marketing_consent(query.consent))
        and (not query.reach or counting.completeness_of(customer).reach == query.reach)
        and (not query.last_order_after or (last is not None and last >= query.last_order_after))
        and (not query.last_order_before or (last is not None and last < query.last_order_before))
    )


def customer_detail(tenant_id: str, customer_id: str) -> dict[str, Any]:
    from huike.store import consent as consent_store
    from huike.store import customers as store

    customer = store.get_customer(tenant_id, customer_id)
    if customer is None:
        raise NotFound("no such customer")
    addresses = [a for a in (customer.phone, customer.email) if a]
    from huike.store.tenants import get_tenant

    tenant = get_tenant(tenant_id)
    suppressed = consent_store.suppressions_among(tenant_id, addresses, tenant.pseudonym_key)
    interval = customer.mean_order_interval_days
    expected = customer.last_order_at + timedelta(days=interval) if interval and customer.last_order_at else None
    return {
        **_summary(customer),
        "identities": sorted(customer.identities or []),
        "phone_textable": bool(customer.phone_textable),
        "email_valid": bool(customer.email_valid),
        "birthday": customer.birthday,
        "tags": sorted(customer.tags or []),
        "industry_tags": sorted(customer.industry_tags or []),
        "first_order_at": clock.to_iso_or_none(customer.first_order_at),
        "mean_order_interval_days": round(interval, 2) if interval else None,
        "expected_next_order_at": clock.to_iso_or_none(expected),
        "consent": {
            channel.value: {
                "marketing": customer.consent_state(channel),
                "opted_out": channel.value in (customer.opted_out_channels or set()),
            }
            for channel in Channel
        },
        "suppressed_addresses": sorted(suppressed),
        "pending_marketing": [entry.key for entry in customer.marketing_pending or []],
        "completeness": counting.completeness_of(customer).as_dict(),
        "rfm": _stored_rfm(customer),
        # As stored (what ?tag= lists and the counts count): on each order and nightly.
        "automatic_tags": sorted(customer.auto_tags or []),
        # From a platform's customer export: its own totals, kept apart from Huike's order stats.
        "platform_stats": (
            {"order_count": int(customer.platform_order_count or 0), "total_spent": customer.platform_total_spent}
            if customer.platform_order_count is not None or customer.platform_total_spent is not None
            else None
        ),
        "imported_by": customer.imported_by,
    }


def _stored_rfm(customer: Any) -> dict[str, Any] | None:
    """The scores and segment as stored (what the segment counts and lists use): set on each
    order and by the nightly refresh against the tenant's published thresholds."""
    if not customer.rfm or not customer.segment:
        return None
    r, f, m = (int(digit) for digit in customer.rfm)
    return {"r": r, "f": f, "m": m, "segment": customer.segment}


def _not_automatic(tag: str) -> str:
    from huike.customers.tags import AUTO_PREFIX

    if tag.startswith(AUTO_PREFIX):
        raise ValueError(f"tags starting with {AUTO_PREFIX!r} are Huike's automatic tags; a seller's own tag cannot")
    return tag


Tag = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[^\x00-\x1f]+$"), AfterValidator(_not_automatic)]


class CustomerPatch(BaseModel):
    """What a seller may correct on a profile (JSON merge patch: null clears a field)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    locale: Locale | None = None
    timezone: str | None = Field(default=None, max_length=64, description="IANA zone, for quiet hours")
    birthday: date | None = Field(default=None, description="YYYY-MM-DD; the birthday message follows it")
    tags: list[Tag] | None = Field(default=None, max_length=50, description="The seller's own tags (replaces them)")
    industry_tags: list[str] | None = Field(
        default=None, max_length=50, description="'<industry>:<tag>' from GET /v1/tag-pools (replaces them)"
    )

    @field_validator("industry_tags")
    @classmethod
    def _from_the_pools(cls, values: list[str] | None) -> list[str] | None:
        from huike.customers.tags import industry_tag

        for value in values or []:
            industry, _, tag = value.partition(":")
            industry_tag(industry, tag)  # ValueError names the pool
        return values

    @field_validator("birthday")
    @classmethod
    def _plausible_birthday(cls, value: date | None) -> date | None:
        if value is not None and not date(1900, 1, 1) <= value <= clock.now().date():
            raise ValueError("a birthday between 1900-01-01 and today")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and zone(value) is None:
            raise ValueError(f"unknown time zone {value!r}")
        return value


def change_customer(tenant_id: str, customer_id: str, patch: dict[str, Any]) -> dict[str, Any]:
    """Raises pydantic.ValidationError (422 with field paths) or NotFound; nothing changes then.
    A new birthday schedules its message (the old date's execution exits when it wakes)."""
    from huike.store import customers as store

    typed = CustomerPatch.model_validate(patch)
    fields = {name: getattr(typed, name) for name in patch}
    if fields.get("birthday") is not None:
        fields["birthday"] = fields["birthday"].isoformat()
    for name in ("tags", "industry_tags"):
        if fields.get(name) is not None:
            fields[name] = sorted(set(fields[name]))
    if not store.update_profile_fields(tenant_id, customer_id, fields):
        raise NotFound("no such customer")
    if fields.get("birthday"):
        from huike.flows.customers import start_birthday
        from huike.store.tenants import get_tenant

        customer = store.get_customer(tenant_id, customer_id)
        assert customer is not None
        start_birthday(get_tenant(tenant_id), customer)
    return customer_detail(tenant_id, customer_id)


def consent_history(tenant_id: str, customer_id: str) -> dict[str, Any]:
    from huike.store import consent as consent_store
    from huike.store import customers as store

    if store.get_customer(tenant_id, customer_id) is None:
        raise NotFound("no such customer")
    entries = consent_store.consent_history(tenant_id, customer_id)
    return {
        "items": [
            {
                "channel": e.channel,
                "purpose": e.purpose,
                "granted": e.granted,
                "at": clock.to_iso_or_none(e.at),
                "recorded_at": clock.to_iso_or_none(e.recorded_at),
                "source": e.source,
                "wording": e.wording,
                "proof": e.proof,
            }
            for e in entries
        ]
    }


def _by_contact(tenant_id: str, phone: str | None, email: str | None) -> str | None:
    from huike.customers.identity import normalise_email, normalise_phone
    from huike.store import customers as store
    from huike.store.tenants import get_tenant

    if phone:
        parsed = normalise_phone(phone, get_tenant(tenant_id).settings.country)
        if parsed is None or parsed.e164 is None:
            raise BadRequest("phone is not a valid number (E.164, or national for the shop's country)")
        return store.customer_id_by_phone(tenant_id, parsed.e164)
    assert email is not None
    normalised = normalise_email(email)
    if normalised is None or normalised.normalized is None:
        raise BadRequest("email is not a valid address")
    return store.customer_id_by_email(tenant_id, normalised.normalized)


def _summary(customer: Any) -> dict[str, Any]:
    return {
        "customer_id": customer.customer_id,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "phone": customer.phone,
        "email": customer.email,
        "locale": customer.locale,
        "timezone": customer.timezone,
        "country": customer.country,
        "order_count": int(customer.order_count or 0),
        "total_spent": customer.total_spent,
        "last_order_at": clock.to_iso_or_none(customer.last_order_at),
        "marketing_consent": {channel.value: customer.has_marketing_consent(channel) for channel in Channel},
        "segment": customer.segment,
        "created_at": clock.to_iso_or_none(customer.created_at),
    }


def consent_now(tenant_id: str, customer_id: str) -> dict[str, Any]:
    """Current consent per channel: marketing consent as last stated, the opt-out (STOP) state,
    and whether the channel's address is suppressed."""
    detail = customer_detail(tenant_id, customer_id)
    suppressed = set(detail["suppressed_addresses"])
    address = {"sms": detail["phone"], "mms": detail["phone"], "email": detail["email"]}
    return {  # no address in it: a POST's answer is kept 24 h for replays, out of erasure's reach
        "customer_id": customer_id,
        "channels": {
            channel: {**state, "suppressed": address[channel] in suppressed}
            for channel, state in detail["consent"].items()
        },
    }


def add_consent_statement(tenant_id: str, customer_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Append the statement to the ledger and set the current state in one transaction; a
    statement older than the one the customer's state came from is kept in history only."""
    from huike.core.events import ConsentData, CustomerData
    from huike.customers.profile import upsert_customer
    from huike.store import customers as store
    from huike.store.tenants import get_tenant

    statement = ConsentStatement.model_validate(body)
    if store.get_customer(tenant_id, customer_id) is None:
        raise NotFound("no such customer")
    consent = ConsentData(
        channel=statement.channel,
        granted=statement.granted,
        at=statement.at or clock.now(),
        wording=statement.wording,
        proof=statement.proof,
    )
    upsert_customer(
        get_tenant(tenant_id),
        CustomerData(platform_id=customer_id, consents=[consent]),
        source=f"seller:{statement.source}",
    )
    return consent_now(tenant_id, customer_id)


def customer_orders(tenant_id: str, customer_id: str) -> dict[str, Any]:
    """The customer's orders, newest first (one index query)."""
    from huike.store import customers as store
    from huike.store import orders as order_store

    if store.get_customer(tenant_id, customer_id) is None:
        raise NotFound("no such customer")
    orders = sorted(
        order_store.orders_of(tenant_id, customer_id),
        key=lambda order: (order.placed_at is not None, order.placed_at),
        reverse=True,
    )
    return {
        "items": [
            {
                "order_id": order.order_id,
                "name": order.name,
                "platform": order.platform,
                "status": order.status.value,
                "total_price": order.total_price,
                "currency": order.currency,
                "placed_at": clock.to_iso_or_none(order.placed_at),
                "paid_at": clock.to_iso_or_none(order.paid_at),
                "shipped_at": clock.to_iso_or_none(order.shipped_at),
                "delivered_at": clock.to_iso_or_none(order.delivered_at),
                "cancelled_at": clock.to_iso_or_none(order.cancelled_at),
                "refunded_at": clock.to_iso_or_none(order.refunded_at),
                "items": [
                    {"title": item.get("title"), "quantity": item.get("quantity"), "price": item.get("price")}
                    for item in order.line_items or []
                ],
            }
            for order in orders
        ]
    }


BULK_TAG_LIMIT = 500  # customers changed per call; `next_cursor` continues a filter's matches


class TagChange(BaseModel):
    """Add and remove manual tags for listed customers, or for every customer a filter matches."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    add: list[Tag] = Field(default_factory=list, max_length=20)
    remove: list[Tag] = Field(default_factory=list, max_length=20)
    customer_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, max_length=BULK_TAG_LIMIT
    )
    filter: dict[str, str] | None = Field(
        default=None, description="As GET /v1/customers takes it: tag, consent, last_order_after/before, sort"
    )
    cursor: str | None = Field(default=None, max_length=2048, description="next_cursor of the previous call")


def change_tags(tenant_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Tag (or untag) customers by id or by filter, up to BULK_TAG_LIMIT per call."""
    from huike.store import customers as store

    change = TagChange.model_validate(body)
    if not change.add and not change.remove:
        raise BadRequest("give tags to add or remove")
    if (change.customer_ids is None) == (change.filter is None):
        raise BadRequest("give either customer_ids or filter")
    next_cursor = None
    if change.customer_ids is not None:
        targets = list(dict.fromkeys(change.customer_ids))
    else:
        query = _filter_query(change.filter or {})
        page = list_customers(tenant_id, query, limit=BULK_TAG_LIMIT, cursor=change.cursor)
        targets, next_cursor = [item["customer_id"] for item in page.items], page.next_cursor
    updated = [c for c in targets if store.change_tags(tenant_id, c, set(change.add), set(change.remove))]
    return {
        "matched": len(targets),
        "updated": len(updated),
        "not_found": sorted(set(targets) - set(updated)),
        "next_cursor": next_cursor,
    }


def _filter_query(raw: dict[str, str]) -> CustomerQuery:
    allowed = {"tag", "consent", "last_order_after", "last_order_before", "sort", "segment", "completeness"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise BadRequest(f"filter takes {', '.join(sorted(allowed))}; not {', '.join(unknown)}")

    def moment(name: str) -> datetime | None:
        try:
            return clock.parse_iso(raw[name]) if name in raw else None
        except ValueError:
            raise BadRequest(f"filter.{name} is not an ISO 8601 time") from None

    if raw.get("sort", "id") not in ("id", "last_order"):
        raise BadRequest("filter.sort is id or last_order")
    return CustomerQuery(
        tag=raw.get("tag"),
        consent=raw.get("consent"),
        segment=raw.get("segment"),
        reach=raw.get("completeness"),
        sort=raw.get("sort", "id"),
        last_order_after=moment("last_order_after"),
        last_order_before=moment("last_order_before"),
    )
