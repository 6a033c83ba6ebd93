"""RFM scores and segments, automatic and industry tags, completeness and the repurchase rhythm:
the pure rules, with properties over generated customers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huike.customers import completeness, rfm, rhythm, tags

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
customers = st.lists(
    st.tuples(
        st.integers(0, 730),  # days since the last order
        st.integers(1, 40),  # orders
        st.floats(1, 20_000, allow_nan=False),  # total spent
    ),
    min_size=5,
    max_size=200,
)


def thresholds_of(population: list[tuple[int, int, float]]) -> rfm.Thresholds:
    return rfm.thresholds_from(
        NOW,
        [NOW - dt.timedelta(days=days) for days, _, _ in population],
        [orders for _, orders, _ in population],
        [total for _, _, total in population],
    )


@settings(max_examples=200, deadline=None)
@given(population=customers, a=st.tuples(st.integers(0, 730), st.integers(1, 40), st.floats(1, 20_000)))
def test_scores_are_monotone_in_recency_frequency_and_spend(population, a):
    thresholds = thresholds_of(population)
    days, orders, total = a
    base = rfm.score(thresholds, NOW - dt.timedelta(days=days), orders, total)
    more_recent = rfm.score(thresholds, NOW - dt.timedelta(days=max(0, days - 30)), orders, total)
    more_orders = rfm.score(thresholds, NOW - dt.timedelta(days=days), orders + 3, total)
    more_spent = rfm.score(thresholds, NOW - dt.timedelta(days=days), orders, total * 2)
    assert more_recent.recency >= base.recency
    assert more_orders.frequency >= base.frequency and more_spent.monetary >= base.monetary
    assert all(1 <= s <= 5 for s in (base.recency, base.frequency, base.monetary, base.fm))


@settings(max_examples=100, deadline=None)
@given(population=customers)
def test_every_customer_falls_in_exactly_one_named_segment(population):
    thresholds = thresholds_of(population)
    segments = [rfm.score(thresholds, NOW - dt.timedelta(days=d), o, t).segment for d, o, t in population]
    assert all(isinstance(segment, rfm.Segment) for segment in segments)
    assert len(segments) == len(population)  # one each: the grid is a function of (R, FM)


def test_the_published_grid_names_all_ten_segments_once_or_more_and_nothing_else():
    cells = [segment for row in rfm.GRID for segment in row]
    assert len(rfm.GRID) == 5 and all(len(row) == 5 for row in rfm.GRID)
    assert set(cells) == set(rfm.Segment)
    assert rfm.GRID[4][4] is rfm.Segment.CHAMPIONS and rfm.GRID[0][0] is rfm.Segment.LOST
    assert rfm.GRID[4][0] is rfm.Segment.CANT_LOSE and rfm.GRID[0][4] is rfm.Segment.NEW


def test_quintiles_put_about_a_fifth_of_a_spread_population_in_each_score():
    population = [(days, 1 + days % 7, 10.0 * days + 1) for days in range(500)]
    thresholds = thresholds_of(population)
    monetary = [rfm.score(thresholds, NOW, 1, total).monetary for _, _, total in population]
    recency = [rfm.score(thresholds, NOW - dt.timedelta(days=days), 1, 1).recency for days, _, _ in population]
    for scores in (monetary, recency):
        assert all(95 <= scores.count(value) <= 105 for value in range(1, 6)), sorted(set(scores))


def test_recency_moves_with_time_through_the_tenants_cut_off_dates_not_the_customer():
    idle = NOW - dt.timedelta(days=10)  # our customer's last order, never rewritten below
    others = [NOW - dt.timedelta(days=days) for days in range(0, 500, 5)]
    today = rfm.thresholds_from(NOW, [*others, idle], [1] * 101, [1.0] * 101)
    assert rfm.score(today, idle, 1, 1).recency == 5
    # 200 days on, the others have kept ordering: the nightly refresh moves the cut-off dates, and
    # the same stored last order now scores low
    later = NOW + dt.timedelta(days=200)
    moved = [moment + dt.timedelta(days=200) for moment in others]
    refreshed = rfm.thresholds_from(later, [*moved, idle], [1] * 101, [1.0] * 101)
    assert all(a < b for a, b in zip(today.recency_cutoffs(), refreshed.recency_cutoffs(), strict=True))
    assert rfm.score(refreshed, idle, 1, 1).recency == 3  # 210 days idle: between the 40th and 60th percentiles


def test_automatic_tags_from_order_stats_and_the_stores_reference_points():
    store = tags.StoreFacts(high_aov=100.0, frequent_orders=5, big_spend=1000.0, median_interval_days=20)
    first = tags.OrderFacts(1, 50.0, NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=3), None)
    assert tags.automatic_tags(first, store, NOW) == {"auto:new"}
    regular = tags.OrderFacts(8, 2400.0, NOW - dt.timedelta(days=300), NOW - dt.timedelta(days=50), 30.0)
    assert tags.automatic_tags(regular, store, NOW) == {
        "auto:repeat",
        "auto:high-aov",
        "auto:frequent-buyer",
        "auto:big-spender",
        "auto:lapsing",
    }
    gone = tags.OrderFacts(2, 80.0, NOW - dt.timedelta(days=400), NOW - dt.timedelta(days=200), None)
    assert "auto:lapsed" in tags.automatic_tags(gone, store, NOW)  # 200 days > 3 x the store's 20
    assert tags.automatic_tags(tags.OrderFacts(0, 0.0, None, None, None), store, NOW) == frozenset()
    assert tags.category_tags({" Tea ", "coffee", ""}) == {"auto:buys:tea", "auto:buys:coffee"}


def test_industry_tags_come_from_the_pools():
    assert set(tags.INDUSTRY_POOLS) >= {"apparel", "beauty", "food", "pets", "electronics", "mother-and-baby"}
    assert tags.industry_tag("pets", "cat-owner") == "industry:pets:cat-owner"
    with pytest.raises(ValueError, match="not in the pets pool"):
        tags.industry_tag("pets", "dry-skin")
    with pytest.raises(ValueError, match="unknown industry"):
        tags.industry_tag("cars", "suv")


def test_completeness_scores_and_the_summary_a_seller_acts_on():
    full = completeness.completeness(
        phone_textable=True,
        email_valid=True,
        sms_consent=True,
        email_consent=True,
        first_name="Ann",
        locale="en",
        birthday="1990-01-01",
    )
    phone_only = completeness.completeness(
        phone_textable=True,
        email_valid=False,
        sms_consent=False,
        email_consent=False,
        first_name=" ",
        locale=None,
        birthday=None,
    )
    assert full.score == 100 and full.missing == [] and full.reach == "phone_and_email"
    assert phone_only.score == 25 and phone_only.reach == "phone_only" and "name" in phone_only.missing
    summary = completeness.summary([full, phone_only, phone_only])
    assert summary["reach"] == {"phone_and_email": 1, "phone_only": 2, "email_only": 0, "unreachable": 0}
    assert summary["can_receive_email"] == 1 and summary["can_receive_sms"] == 3
    assert summary["marketing_reachable"] == {"sms": 1, "email": 1} and summary["missing"]["birthday"] == 2
    assert summary["mean_score"] == 50.0


@pytest.mark.parametrize(
    ("median", "cadence"), [(10, "every two weeks"), (20, "monthly"), (4, "weekly"), (60, "quarterly")]
)
def test_the_cadence_follows_the_seller_practice_rule(median, cadence):
    assert rhythm.recommended_cadence(median)[1] == cadence


def test_the_rhythm_needs_enough_repeat_orders_and_then_gives_median_and_distribution():
    assert rhythm.rhythm([10.0] * 5)["recommendation"] is None
    result = rhythm.rhythm([8.0] * 10 + [12.0] * 10 + [40.0] * 5)
    assert (
        result["median_days"] == 12.0
        and result["quartiles_days"] == [8.0, 12.0]
        and result["recommendation"]
        == {
            "every_days": 14,
            "cadence": "every two weeks",
        }
    )
    assert result["distribution"]["8-14"] == 20 and result["distribution"]["31-60"] == 5


def test_thresholds_from_the_maintained_distributions_match_a_walk_over_every_customer():
    from collections import Counter
    from types import SimpleNamespace

    from huike.customers import counting

    people = [
        SimpleNamespace(
            order_count=1 + n % 9,
            total_spent=float(20 + 37 * n),
            last_order_at=NOW - dt.timedelta(days=(n * 7) % 400),
            phone_textable=True,
            email_valid=False,
            first_name="A",
            locale=None,
            birthday=None,
            tags=None,
            industry_tags=None,
            auto_tags=None,
            segment=None,
            has_marketing_consent=lambda channel: False,
        )
        for n in range(300)
    ]
    totals: Counter[str] = Counter()
    for person in people:
        totals.update(counting.contribution(person))
    from_counters = counting.rfm_thresholds(dict(totals), NOW)
    walked = thresholds_of([((NOW - p.last_order_at).days, p.order_count, p.total_spent) for p in people])
    assert from_counters.recency_days == walked.recency_days and from_counters.frequency == walked.frequency
    for counted, exact in zip(from_counters.monetary, walked.monetary, strict=True):
        assert exact <= counted <= exact * 1.13  # within one money bucket (about 12%)
    assert counting.rfm_thresholds({}, NOW) is None


def test_line_items_get_their_category_from_the_sellers_rules():
    from huike.config.tenant import TenantSettings

    settings = TenantSettings.model_validate(
        {
            "product_categories": [
                {"category": "Tea", "sku_prefix": "TEA-"},
                {"category": "Green tea", "sku_prefix": "TEA-GRN-"},
                {"category": "Gifts", "product_ids": ["632910392"]},
            ]
        }
    )
    assert settings.category_of(None, "TEA-GRN-100") == "green tea"  # the longest prefix wins
    assert settings.category_of(None, "TEA-BLK-1") == "tea"
    assert settings.category_of("632910392", "TEA-BLK-1") == "gifts"  # a listed product first
    assert settings.category_of("1", "COF-1") is None
    with pytest.raises(ValueError, match="sku_prefix or product_ids"):
        TenantSettings.model_validate({"product_categories": [{"category": "tea"}]})


def test_category_names_are_kept_short_and_free_of_key_separators():
    assert tags.category_name("  Dog Food: Dry#1 ") == "dog food- dry-1"
    assert tags.category_name("   ") is None and tags.category_name(None) is None
    assert len(tags.category_name("x" * 100) or "") == 40


def test_a_categorys_replenishment_interval_needs_enough_repeat_purchases():
    rows = rhythm.replenishment({"tea": {28: 5, 30: 6, 35: 1}, "cups": {90: 3}})
    assert rows[0] == {"category": "tea", "intervals": 12, "median_days": 30.0, "reason": None}
    assert rows[1]["category"] == "cups" and rows[1]["median_days"] is None
    assert "10 repeat purchases" in str(rows[1]["reason"])


def test_the_automatic_tags_reference_points_come_from_the_maintained_distributions():
    from huike.customers import counting
    from huike.customers.rfm import Thresholds

    counters = {f"aov:{counting.money_bucket(float(aov))}": 1 for aov in range(10, 110, 10)}  # AOVs 10..100
    thresholds = Thresholds(as_of=NOW, recency_days=(1, 2, 3, 4), frequency=(1, 1, 2, 4), monetary=(10, 20, 40, 90))
    facts = counting.store_facts(counters, thresholds, 21.0)
    assert 80 <= (facts.high_aov or 0) <= 80 * 1.13  # the 80th percentile, within a bucket's width
    assert (facts.frequent_orders, facts.big_spend, facts.median_interval_days) == (4, 90, 21.0)
    document = counting.thresholds_document(thresholds, facts)
    assert counting.store_facts_from_document(document) == facts
