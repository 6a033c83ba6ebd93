"""Customer tags in three layers: automatic consumption tags derived from order data, industry
tags a seller picks from their industry's pool, and the seller's own manual tags. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

AUTO_PREFIX = "auto:"
INDUSTRY_PREFIX = "industry:"
NEW_FOR = timedelta(days=30)
LAPSING_FACTOR, LAPSED_FACTOR = 1.5, 3.0  # times the customer's own (else the store's) interval

# The pools a seller picks industry tags from (GET /v1/tag-pools), with their Chinese labels.
INDUSTRY_POOLS: dict[str, dict[str, str]] = {
    "apparel": {
        "size-xs-s": "小码",
        "size-m-l": "中大码",
        "size-xl-plus": "加大码",
        "womenswear": "女装",
        "menswear": "男装",
        "kidswear": "童装",
        "outerwear": "外套",
        "seasonal-buyer": "换季购买",
    },
    "beauty": {
        "dry-skin": "干皮",
        "oily-skin": "油皮",
        "sensitive-skin": "敏感肌",
        "combination-skin": "混合肌",
        "skincare": "护肤",
        "makeup": "彩妆",
        "fragrance": "香水",
        "refill-cycle": "补货周期客",
    },
    "food": {
        "snacks": "零食",
        "tea": "茶饮",
        "coffee": "咖啡",
        "fresh": "生鲜",
        "organic": "有机",
        "gift-boxes": "礼盒",
        "vegetarian": "素食",
        "bulk-buyer": "囤货型",
    },
    "pets": {
        "dog-owner": "狗主人",
        "cat-owner": "猫主人",
        "puppy-kitten": "幼宠",
        "senior-pet": "老年宠物",
        "food-subscriber": "主粮复购",
        "treats": "零食",
        "grooming": "洗护",
        "toys": "玩具",
    },
    "electronics": {
        "phone-accessories": "手机配件",
        "audio": "音频",
        "computing": "电脑",
        "smart-home": "智能家居",
        "gaming": "游戏",
        "photography": "摄影",
        "early-adopter": "尝鲜型",
        "warranty-buyer": "延保客",
    },
    "mother-and-baby": {
        "expecting": "孕期",
        "newborn-0-6m": "新生儿0-6月",
        "infant-6-12m": "婴儿6-12月",
        "toddler-1-3y": "幼儿1-3岁",
        "diapers": "纸尿裤",
        "formula": "奶粉",
        "feeding": "喂养",
        "baby-care": "洗护",
    },
}


@dataclass(frozen=True)
class OrderFacts:
    """What the automatic tags are derived from: one customer's order stats."""

    order_count: int
    total_spent: float
    first_order_at: datetime | None
    last_order_at: datetime | None
    mean_interval_days: float | None


@dataclass(frozen=True)
class StoreFacts:
    """The tenant's reference points (from its nightly refresh): high AOV from the 80th
    percentile, frequent and big from the top F and M quintiles, the store's median interval."""

    high_aov: float | None
    frequent_orders: float | None
    big_spend: float | None
    median_interval_days: float | None


def automatic_tags(customer: OrderFacts, store: StoreFacts, now: datetime) -> frozenset[str]:
    if customer.order_count < 1 or customer.last_order_at is None:
        return frozenset()
    tags = set()
    if customer.order_count == 1 and customer.first_order_at and now - customer.first_order_at <= NEW_FOR:
        tags.add("new")
    if customer.order_count >= 2:
        tags.add("repeat")
    aov = customer.total_spent / customer.order_count
    if store.high_aov is not None and aov >= store.high_aov:
        tags.add("high-aov")
    if store.frequent_orders is not None and customer.order_count > store.frequent_orders:
        tags.add("frequent-buyer")
    if store.big_spend is not None and customer.total_spent > store.big_spend:
        tags.add("big-spender")
    interval = customer.mean_interval_days or store.median_interval_days
    if interval:
        idle_days = (now - customer.last_order_at).total_seconds() / 86400
        if idle_days > LAPSED_FACTOR * interval:
            tags.add("lapsed")
        elif idle_days > LAPSING_FACTOR * interval:
            tags.add("lapsing")
    return frozenset(AUTO_PREFIX + tag for tag in tags)


def category_name(raw: str | None) -> str | None:
    """A category as Huike keeps it: trimmed, lower-case, at most 40 characters, without the
    separators keys and counter names use."""
    if not raw:
        return None
    name = raw.strip().lower().replace(":", "-").replace("#", "-")[:40].strip()
    return name or None


def category_tags(categories: set[str]) -> frozenset[str]:
    """One `auto:buys:<category>` per category the customer bought (from line items)."""
    return frozenset(f"{AUTO_PREFIX}buys:{category.strip().lower()}" for category in categories if category.strip())


def industry_tag(industry: str, tag: str) -> str:
    """The stored form of an industry tag; ValueError when it is not in that industry's pool."""
    pool = INDUSTRY_POOLS.get(industry)
    if pool is None:
        raise ValueError(f"unknown industry {industry!r}; industries: {', '.join(sorted(INDUSTRY_POOLS))}")
    if tag not in pool:
        raise ValueError(f"{tag!r} is not in the {industry} pool")
    return f"{INDUSTRY_PREFIX}{industry}:{tag}"
