"""What a seller learns about their store as a whole: today, the repurchase rhythm."""

from __future__ import annotations

from typing import Any


def insights(tenant_id: str) -> dict[str, Any]:
    from huike.customers.rhythm import rhythm_of
    from huike.store.insights import rhythm_histogram

    return {"repurchase_rhythm": rhythm_of(rhythm_histogram(tenant_id))}
