"""What each customer adds to their tenant's counters (reach, missing data, marketing consent,
tags), and the change a customer write makes to them: kept by the customers-stream consumer so
that the seller's summaries cost O(1) reads whatever the number of customers."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from huike.core.enums import Channel
from huike.customers.completeness import WEIGHTS, Completeness, completeness
from huike.customers.tags import AUTO_PREFIX, OrderFacts, StoreFacts, automatic_tags, category_tags

CUSTOMERS = "n:customers"
MAX_COUNTED_ORDERS = 50  # the frequency histogram's last bucket: 50 orders or more
LAST_ORDER_YEARS = 2  # a last order older than this is scored as this old


def money_bucket(total: float) -> int:
    """Total spent on a log scale: each bucket is about 12% wider than the one below (20 per
    power of ten), so a quintile's cut point is known within that."""
    import math

    return max(0, math.floor(math.log10(max(total, 1.0)) * 20))


def money_of_bucket(bucket: int) -> float:
    return float(10 ** (bucket / 20))


def completeness_of(customer: Any) -> Completeness:
    return completeness(
        phone_textable=bool(customer.phone_textable),
        email_valid=bool(customer.email_valid),
        sms_consent=customer.has_marketing_consent(Channel.SMS),
        email_consent=customer.has_marketing_consent(Channel.EMAIL),
        first_name=customer.first_name,
        locale=customer.locale,
        birthday=customer.birthday,
    )


def contribution(customer: Any | None) -> Counter[str]:
    """The counters one stored customer adds 1 to (nothing for no customer)."""
    if customer is None:
        return Counter()
    record = completeness_of(customer)
    counts = Counter({CUSTOMERS: 1, f"reach:{record.reach}": 1})
    counts.update(f"missing:{part}" for part in record.missing)
    if record.present["phone_textable"] and record.present["sms_consent"]:
        counts["marketing:sms"] += 1
    if record.present["email_valid"] and record.present["email_consent"]:
        counts["marketing:email"] += 1
    counts.update(f"tag:{tag}" for tag in customer.tags or ())
    counts.update(f"industry:{tag}" for tag in customer.industry_tags or ())
    counts.update(f"{tag}" for tag in customer.auto_tags or ())  # "auto:..."
    orders = int(customer.order_count or 0)
    if orders > 0 and customer.last_order_at is not None:  # the RFM distributions, buyers only
        counts[f"f:{min(orders, MAX_COUNTED_ORDERS)}"] += 1
        counts[f"m:{money_bucket(float(customer.total_spent or 0))}"] += 1
        counts[f"aov:{money_bucket(float(customer.total_spent or 0) / orders)}"] += 1
        counts[f"last:{customer.last_order_at.date().isoformat()}"] += 1
    if customer.segment:  # segment sizes and AOV (GET /v1/segments): sums of the members' stats
        counts[f"seg:{customer.segment}"] += 1
        counts[f"seg_orders:{customer.segment}"] += orders
        counts[f"seg_cents:{customer.segment}"] += round(float(customer.total_spent or 0) * 100)
    return counts


def change(before: Any | None, after: Any | None) -> dict[str, int]:
    """after - before, counters that moved only."""
    old, new = contribution(before), contribution(after)
    return {name: new[name] - old[name] for name in set(old) | set(new) if new[name] != old[name]}


def summary(counters: dict[str, int]) -> dict[str, Any]:
    """The tenant's completeness summary and tag counts, from its summed counters."""
    reach = {
        key: counters.get(f"reach:{key}", 0) for key in ("phone_and_email", "phone_only", "email_only", "unreachable")
    }
    tags = {name[4:]: n for name, n in counters.items() if name.startswith("tag:") and n > 0}
    industry = {name[9:]: n for name, n in counters.items() if name.startswith("industry:") and n > 0}
    automatic = {name: n for name, n in counters.items() if name.startswith(AUTO_PREFIX) and n > 0}
    return {
        "completeness": {
            "customers": counters.get(CUSTOMERS, 0),
            "reach": reach,
            "can_receive_sms": reach["phone_and_email"] + reach["phone_only"],
            "can_receive_email": reach["phone_and_email"] + reach["email_only"],
            "marketing_reachable": {
                "sms": counters.get("marketing:sms", 0),
                "email": counters.get("marketing:email", 0),
            },
            "missing": {part: counters.get(f"missing:{part}", 0) for part in WEIGHTS},
        },
        "tags": dict(sorted(tags.items(), key=lambda item: (-item[1], item[0]))[:100]),
        "industry_tags": dict(sorted(industry.items(), key=lambda item: (-item[1], item[0]))[:100]),
        "automatic_tags": dict(sorted(automatic.items(), key=lambda item: (-item[1], item[0]))[:100]),
    }


def rfm_thresholds(counters: dict[str, int], now: datetime) -> Any:
    """The tenant's RFM quintile cut points from its maintained distributions (None before any
    buyer): the same numbers a walk over every customer would give, within the buckets' width."""
    from huike.customers.rfm import Thresholds

    frequency = {int(name[2:]): n for name, n in counters.items() if name.startswith("f:") and n > 0}
    # a money bucket's upper edge: the customers in it score as the cut's own bucket
    money = {money_of_bucket(int(name[2:]) + 1): n for name, n in counters.items() if name.startswith("m:") and n > 0}
    horizon = now.date() - timedelta(days=365 * LAST_ORDER_YEARS)
    days: dict[float, int] = {}
    for name, n in counters.items():
        if name.startswith("last:") and n > 0:
            last = date.fromisoformat(name[5:])
            idle = (now.date() - max(last, horizon)).days
            days[float(idle)] = days.get(float(idle), 0) + n
    if not frequency or not money or not days:
        return None
    return Thresholds(
        as_of=now,
        recency_days=_cuts(days),
        frequency=_cuts({float(k): v for k, v in frequency.items()}),
        monetary=_cuts(money),
    )


def _cuts(histogram: dict[float, int]) -> tuple[float, float, float, float]:
    """The 20/40/60/80th percentiles (nearest rank) of a histogram."""
    total = sum(histogram.values())
    ordered = sorted(histogram.items())
    cuts = []
    for q in (0.2, 0.4, 0.6, 0.8):
        rank, seen = max(1, round(q * total)), 0
        for value, n in ordered:
            seen += n
            if seen >= rank:
                cuts.append(value)
                break
    return cuts[0], cuts[1], cuts[2], cuts[3]


THRESHOLDS_TTL = timedelta(hours=1)


def thresholds_document(thresholds: Any, store: StoreFacts | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "as_of": thresholds.as_of.isoformat(),
        "recency_days": list(thresholds.recency_days),
        "frequency": list(thresholds.frequency),
        "monetary": list(thresholds.monetary),
    }
    if store is not None:
        document["store"] = asdict(store)
    return document


def store_facts(counters: dict[str, int], thresholds: Any, median_interval_days: float | None) -> StoreFacts:
    """The automatic tags' reference points: a high AOV is the buyers' 80th percentile (from the
    AOV histogram, a bucket's upper edge), a frequent buyer and a big spender are above the top
    F and M cuts, and the store's median interval between orders."""
    aov = {money_of_bucket(int(name[4:]) + 1): n for name, n in counters.items() if name.startswith("aov:") and n > 0}
    return StoreFacts(
        high_aov=_cuts(aov)[3] if aov else None,
        frequent_orders=thresholds.frequency[3],
        big_spend=thresholds.monetary[3],
        median_interval_days=median_interval_days,
    )


def store_facts_from_document(document: dict[str, Any] | None) -> StoreFacts:
    facts = (document or {}).get("store") or {}
    return StoreFacts(
        high_aov=facts.get("high_aov"),
        frequent_orders=facts.get("frequent_orders"),
        big_spend=facts.get("big_spend"),
        median_interval_days=facts.get("median_interval_days"),
    )


def thresholds_from_document(document: dict[str, Any]) -> Any:
    from huike.customers.rfm import Thresholds

    return Thresholds(
        as_of=datetime.fromisoformat(document["as_of"]),
        recency_days=tuple(float(v) for v in document["recency_days"]),  # type: ignore[arg-type]
        frequency=tuple(float(v) for v in document["frequency"]),  # type: ignore[arg-type]
        monetary=tuple(float(v) for v in document["monetary"]),  # type: ignore[arg-type]
    )


def distributions_digest(counters: dict[str, int]) -> str:
    """A fingerprint of the distributions the thresholds come from (orders, money, last-order
    dates): equal fingerprints give equal cut-off dates and cuts, whatever day it is."""
    import hashlib

    distributions = ("f:", "m:", "last:", "aov:")
    parts = sorted(f"{name}={n}" for name, n in counters.items() if name.startswith(distributions))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def publish_thresholds(tenant_id: str, only_if_changed: bool = False) -> Any:
    """Compute the tenant's thresholds from its counters now and publish them; every scoring
    reads the published ones. None before the tenant's first buyer, and (`only_if_changed`, the
    nightly run) when no buyer's stats changed since the last publication: the cut-off dates
    would be the same, so nobody would move."""
    from huike.core import clock
    from huike.store.insights import counters, published_thresholds
    from huike.store.insights import publish_thresholds as publish

    counted = counters(tenant_id, "counts")
    digest = distributions_digest(counted)
    if only_if_changed:
        published = published_thresholds(tenant_id)
        if published is not None and published.get("digest") == digest:
            return None
    thresholds = rfm_thresholds(counted, clock.now())
    if thresholds is not None:
        facts = store_facts(counted, thresholds, _median_interval(tenant_id))
        publish(tenant_id, {**thresholds_document(thresholds, facts), "digest": digest})
        _thresholds_cache()[tenant_id] = (clock.now() + THRESHOLDS_TTL, (thresholds, facts))
    return thresholds


def _median_interval(tenant_id: str) -> float | None:
    """The store's median days between orders: measured once there are enough repeat orders,
    else what the seller set for win-back."""
    from huike.customers.rhythm import rhythm_of
    from huike.store.insights import rhythm_histogram
    from huike.store.tenants import cached_tenant

    measured = rhythm_of(rhythm_histogram(tenant_id))["median_days"]
    if measured is not None:
        return float(measured)  # type: ignore[arg-type]
    configured = cached_tenant(tenant_id).flows.win_back.store_median_interval_days
    return float(configured) if configured is not None else None


def _thresholds_cache() -> dict[str, Any]:
    from huike.core.caches import container_state

    cache: dict[str, Any] = container_state().setdefault("rfm-thresholds", {})
    return cache


def current_scoring(tenant_id: str, cached: bool = True) -> tuple[Any, StoreFacts]:
    """The tenant's published RFM thresholds and automatic tags' reference points (`cached`:
    read at most hourly per container); before the first refresh, computed from its counters."""
    from huike.core import clock
    from huike.store.insights import counters, published_thresholds

    cache = _thresholds_cache()
    now = clock.now()
    held = cache.get(tenant_id)
    if cached and held is not None and held[0] > now:
        return held[1]  # type: ignore[no-any-return]
    document = published_thresholds(tenant_id)
    if document:
        scoring = (thresholds_from_document(document), store_facts_from_document(document))
    else:
        counted = counters(tenant_id, "counts")
        thresholds = rfm_thresholds(counted, now)
        facts = store_facts(counted, thresholds, None) if thresholds is not None else StoreFacts(None, None, None, None)
        scoring = (thresholds, facts)
    cache[tenant_id] = (now + THRESHOLDS_TTL, scoring)
    return scoring


def current_thresholds(tenant_id: str, cached: bool = True) -> Any:
    return current_scoring(tenant_id, cached)[0]


def scored(customer: Any, thresholds: Any) -> tuple[str, str] | None:
    """("<R><F><M>", segment) for a customer who ordered, with these thresholds."""
    from huike.customers.rfm import score

    if thresholds is None or not customer.order_count or customer.last_order_at is None:
        return None
    scores = score(thresholds, customer.last_order_at, float(customer.order_count), float(customer.total_spent or 0))
    return f"{scores.recency}{scores.frequency}{scores.monetary}", scores.segment.value


def tags_now(customer: Any, facts: StoreFacts, now: datetime) -> frozenset[str]:
    """The customer's automatic tags today: consumption tags from their order stats against the
    store's reference points, and one per category they bought."""
    consumption = automatic_tags(
        OrderFacts(
            order_count=int(customer.order_count or 0),
            total_spent=float(customer.total_spent or 0),
            first_order_at=customer.first_order_at,
            last_order_at=customer.last_order_at,
            mean_interval_days=customer.mean_order_interval_days,
        ),
        facts,
        now,
    )
    return consumption | category_tags(set(customer.category_last or {}))


def keep_scores_current(customer: Any, thresholds: Any, facts: StoreFacts) -> bool:
    """Store the customer's scores, segment and automatic tags when they differ from the stored
    ones; True when written. (The write's stream record then moves the segment and tag counters
    and the tag listings.)"""
    from huike.core import clock
    from huike.store.customers import set_scores

    scores = scored(customer, thresholds)
    tags = tags_now(customer, facts, clock.now())
    unchanged_scores = scores is None or (customer.rfm, customer.segment) == scores
    if unchanged_scores and tags == frozenset(customer.auto_tags or ()):
        return False
    return set_scores(customer, scores, tags)


def segments_summary(counters: dict[str, int]) -> list[dict[str, Any]]:
    """Every segment with its customers, orders and AOV, from the tenant's counters."""
    from huike.customers.rfm import Segment

    rows = []
    for segment in Segment:
        customers = counters.get(f"seg:{segment.value}", 0)
        orders = counters.get(f"seg_orders:{segment.value}", 0)
        cents = counters.get(f"seg_cents:{segment.value}", 0)
        rows.append(
            {
                "segment": segment.value,
                "customers": customers,
                "orders": orders,
                "total_spent": round(cents / 100, 2),
                "average_order_value": round(cents / 100 / orders, 2) if orders else None,
            }
        )
    return rows


def on_customer_change(event_id: str, old_image: dict[str, Any] | None, new_image: dict[str, Any] | None) -> int:
    """Apply one customers-stream record to its tenant's counters, once; how many moved."""
    from huike.store.customers import customer_from_stream_image
    from huike.store.insights import add_to_counters

    before, after = customer_from_stream_image(old_image), customer_from_stream_image(new_image)
    either = after or before
    if either is None:
        return 0
    moved = change(before, after)
    if moved:
        add_to_counters(either.tenant_id, either.customer_id, event_id, moved)
    had, has = listed_tags(before), listed_tags(after)
    if had != has:
        from huike.store.tag_members import follow_tags

        follow_tags(either.tenant_id, str(either.customer_id), has - had, had - has)
    if after is not None and _stats_changed(before, after):
        # Read each time (one GetItem per counted order): a refresh published by another
        # function applies to the next order at once.
        keep_scores_current(after, *current_scoring(after.tenant_id, cached=False))
    return len(moved)


def listed_tags(customer: Any | None) -> frozenset[str]:
    """Every tag a customer is listed under: the seller's own, industry and automatic tags."""
    if customer is None:
        return frozenset()
    return frozenset(customer.tags or ()).union(customer.industry_tags or (), customer.auto_tags or ())


def _stats_changed(before: Any | None, after: Any) -> bool:
    """An order counted (or a first sight of a buyer without a stored segment)."""
    if not after.order_count:
        return False
    if before is None or after.segment is None:
        return True
    return (before.order_count, before.total_spent, before.last_order_at) != (
        after.order_count,
        after.total_spent,
        after.last_order_at,
    )
