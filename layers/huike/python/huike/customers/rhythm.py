"""The store's repurchase rhythm: the distribution of days between a customer's consecutive
orders, its median, and the campaign cadence it suggests. Pure."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

MIN_INTERVALS = 20  # fewer repeat intervals than this: not enough data to recommend anything
MIN_CATEGORY_INTERVALS = 10  # a category's replenishment interval needs this many repeat purchases
MAX_CATEGORIES_SHOWN = 50
BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("0-7", 0, 7),
    ("8-14", 7, 14),
    ("15-30", 14, 30),
    ("31-60", 30, 60),
    ("61-90", 60, 90),
    ("91-180", 90, 180),
    ("181-365", 180, 365),
    ("366+", 365, float("inf")),
)
# Campaign cadences a seller can run, in days, and their names.
CADENCES: tuple[tuple[int, str], ...] = (
    (7, "weekly"),
    (14, "every two weeks"),
    (30, "monthly"),
    (60, "every two months"),
    (90, "quarterly"),
)


def recommended_cadence(median_days: float) -> tuple[int, str]:
    """About one and a half cycles between campaigns, snapped to a cadence a seller runs: a
    10-day cycle suggests every two weeks, a 20-day cycle monthly (the seller-practice rule)."""
    target = 1.5 * median_days
    return min(CADENCES, key=lambda cadence: (abs(cadence[0] - target), cadence[0]))


def rhythm(intervals_days: Sequence[float]) -> dict[str, object]:
    """From every repeat interval (days between one customer's consecutive orders)."""
    histogram: Counter[int] = Counter(int(days) for days in intervals_days)
    return rhythm_of(histogram)


def rhythm_of(histogram: Mapping[int, int]) -> dict[str, object]:
    """From a histogram {whole days between consecutive orders: how many} (the tenant's counters)."""
    count = sum(histogram.values())
    distribution = {
        label: sum(n for days, n in histogram.items() if low < days <= high or (low == 0 and days == 0))
        for label, low, high in BUCKETS
    }
    if count < MIN_INTERVALS:
        return {
            "intervals": count,
            "distribution": distribution,
            "median_days": None,
            "quartiles_days": None,
            "recommendation": None,
            "reason": f"needs at least {MIN_INTERVALS} repeat orders",
        }
    quartiles = [_percentile(histogram, count, q) for q in (0.25, 0.5, 0.75)]
    median = quartiles[1]
    days, name = recommended_cadence(median)
    return {
        "intervals": count,
        "distribution": distribution,
        "median_days": median,
        "quartiles_days": [quartiles[0], quartiles[2]],
        "recommendation": {"every_days": days, "cadence": name},
        "reason": None,
    }


def replenishment(histograms: Mapping[str, Mapping[int, int]]) -> list[dict[str, object]]:
    """Per category: how many repeat purchases of it were counted and, once there are enough,
    the median days between them (when its buyers come back for more), most bought first."""
    rows: list[dict[str, object]] = []
    for category, histogram in histograms.items():
        count = sum(histogram.values())
        enough = count >= MIN_CATEGORY_INTERVALS
        rows.append(
            {
                "category": category,
                "intervals": count,
                "median_days": _percentile(histogram, count, 0.5) if enough else None,
                "reason": None if enough else f"needs at least {MIN_CATEGORY_INTERVALS} repeat purchases",
            }
        )
    rows.sort(key=lambda row: (-int(row["intervals"]), str(row["category"])))  # type: ignore[call-overload]
    return rows[:MAX_CATEGORIES_SHOWN]


def _percentile(histogram: Mapping[int, int], count: int, q: float) -> float:
    """The q-th percentile in whole days (nearest rank)."""
    rank, seen = max(1, math.ceil(q * count)), 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= rank:
            return float(days)
    return float(max(histogram))
