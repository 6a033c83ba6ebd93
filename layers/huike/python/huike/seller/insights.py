"""What a seller learns about their store as a whole, from maintained counters (O(1) reads):
its repurchase rhythm, its customers' completeness and reach, and its tag counts."""

from __future__ import annotations

from typing import Any


def insights(tenant_id: str) -> dict[str, Any]:
    from huike.customers.counting import summary
    from huike.customers.rhythm import replenishment, rhythm_of
    from huike.store.insights import counters, rhythm_histograms

    store, categories = rhythm_histograms(tenant_id)
    return {
        "repurchase_rhythm": rhythm_of(store),
        "replenishment": replenishment(categories),
        **summary(counters(tenant_id, "counts")),
    }


def segments(tenant_id: str) -> dict[str, Any]:
    from huike.customers.counting import current_thresholds, segments_summary
    from huike.customers.rfm import GRID
    from huike.store.insights import counters

    thresholds = current_thresholds(tenant_id)
    return {
        "items": segments_summary(counters(tenant_id, "counts")),
        "thresholds": None
        if thresholds is None
        else {
            "as_of": thresholds.as_of.isoformat(),
            "recency_days": list(thresholds.recency_days),
            "recency_last_order_on_or_after": [day.isoformat() for day in thresholds.recency_cutoffs()],
            "frequency_orders": list(thresholds.frequency),
            "monetary_total_spent": list(thresholds.monetary),
        },
        "grid": {f"fm{fm + 1}": [cell.value for cell in row] for fm, row in enumerate(GRID)},
    }
