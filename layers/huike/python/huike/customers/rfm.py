"""RFM: recency, frequency and monetary scores 1-5 by a tenant's quintiles, and the named segment
each (R, FM) pair falls in. Pure: thresholds come in, scores and segments go out.

Recency is scored from the date of the last order against cut-off *dates* (computed from the
quintiles of days since last order, as of the day the thresholds were refreshed). A customer's
recency therefore moves with time by comparing one stored date with the tenant's current cut-off
dates, at read time: nothing per customer is rewritten when a day passes.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum


class Segment(StrEnum):
    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALISTS = "potential_loyalists"
    NEW = "new"
    PROMISING = "promising"
    NEEDS_ATTENTION = "needs_attention"
    AT_RISK = "at_risk"
    CANT_LOSE = "cant_lose"
    HIBERNATING = "hibernating"
    LOST = "lost"


_C, _L, _P, _N, _PR, _NA, _AR, _CL, _H, _LO = (
    Segment.CHAMPIONS,
    Segment.LOYAL,
    Segment.POTENTIAL_LOYALISTS,
    Segment.NEW,
    Segment.PROMISING,
    Segment.NEEDS_ATTENTION,
    Segment.AT_RISK,
    Segment.CANT_LOSE,
    Segment.HIBERNATING,
    Segment.LOST,
)
# The published grid: GRID[fm - 1][r - 1], FM = the rounded mean of F and M. Every cell names
# one segment, so the segments partition the customers who have ordered.
#            R=1  R=2  R=3  R=4  R=5
GRID: tuple[tuple[Segment, ...], ...] = (
    (_LO, _H, _PR, _N, _N),  # FM=1
    (_H, _H, _NA, _P, _P),  # FM=2
    (_AR, _AR, _NA, _L, _L),  # FM=3
    (_CL, _AR, _L, _L, _C),  # FM=4
    (_CL, _AR, _L, _C, _C),  # FM=5
)


@dataclass(frozen=True)
class Thresholds:
    """A tenant's quintile cut points (four each, ascending), refreshed nightly.

    `recency_days`: days since last order at the 20/40/60/80th percentiles, as of `as_of`.
    `frequency`: order counts; `monetary`: total spent."""

    as_of: datetime
    recency_days: tuple[float, float, float, float]
    frequency: tuple[float, float, float, float]
    monetary: tuple[float, float, float, float]

    def recency_cutoffs(self) -> tuple[date, ...]:
        """The same cut points as last-order dates (whole days), oldest first: fixed once computed."""
        return tuple((self.as_of - timedelta(days=days)).date() for days in reversed(self.recency_days))


@dataclass(frozen=True)
class Scores:
    recency: int
    frequency: int
    monetary: int

    @property
    def fm(self) -> int:
        return int((self.frequency + self.monetary) / 2 + 0.5)

    @property
    def segment(self) -> Segment:
        return GRID[self.fm - 1][self.recency - 1]

    def as_dict(self) -> dict[str, object]:
        return {"r": self.recency, "f": self.frequency, "m": self.monetary, "segment": self.segment.value}


def quintile_cuts(values: Sequence[float]) -> tuple[float, float, float, float]:
    """The 20th, 40th, 60th and 80th percentiles (nearest rank) of a non-empty sample."""
    if not values:
        raise ValueError("quintiles of no values")
    ordered = sorted(values)
    last = len(ordered) - 1
    cuts = tuple(ordered[min(last, max(0, round(q * len(ordered)) - 1))] for q in (0.2, 0.4, 0.6, 0.8))
    return cuts  # type: ignore[return-value]


def thresholds_from(
    as_of: datetime, last_orders: Sequence[datetime], order_counts: Sequence[float], totals: Sequence[float]
) -> Thresholds:
    days = [(as_of - moment).total_seconds() / 86400 for moment in last_orders]
    return Thresholds(as_of, quintile_cuts(days), quintile_cuts(order_counts), quintile_cuts(totals))


def higher_is_better(value: float, cuts: Sequence[float]) -> int:
    """1 up to and including the first cut, ... 5 above the fourth."""
    return 1 + bisect.bisect_left(cuts, value)


def score(thresholds: Thresholds, last_order_at: datetime, order_count: float, total_spent: float) -> Scores:
    # A later last order is better: count the cut-off dates it is on or after (a last order on
    # the day of a percentile belongs to the more recent group).
    recency = 1 + bisect.bisect_right(thresholds.recency_cutoffs(), last_order_at.date())
    return Scores(
        recency=recency,
        frequency=higher_is_better(order_count, thresholds.frequency),
        monetary=higher_is_better(total_spent, thresholds.monetary),
    )
