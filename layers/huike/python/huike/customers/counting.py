"""What each customer adds to their tenant's counters (reach, missing data, marketing consent,
tags), and the change a customer write makes to them: kept by the customers-stream consumer so
that the seller's summaries cost O(1) reads whatever the number of customers."""

from __future__ import annotations

from collections import Counter
from typing import Any

from huike.core.enums import Channel
from huike.customers.completeness import WEIGHTS, Completeness, completeness

CUSTOMERS = "n:customers"


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
    }


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
    return len(moved)
