"""What a seller learns about their store as a whole, from maintained counters (O(1) reads):
its repurchase rhythm, its customers' completeness and reach, and its tag counts."""

from __future__ import annotations

from typing import Any


def insights(tenant_id: str) -> dict[str, Any]:
    from huike.customers.counting import summary
    from huike.customers.rhythm import rhythm_of
    from huike.store.insights import counters, rhythm_histogram

    return {"repurchase_rhythm": rhythm_of(rhythm_histogram(tenant_id)), **summary(counters(tenant_id, "counts"))}
