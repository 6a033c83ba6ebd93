"""Data completeness: which of the things a message needs a customer's record has, a score, and
the tenant-level summary a seller acts on (who has only a phone, who can receive email). Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# What each part is worth in the score (sums to 100): reachability first, then consent, then
# what personalises a message.
WEIGHTS: dict[str, int] = {
    "phone_textable": 25,
    "email_valid": 20,
    "sms_consent": 15,
    "email_consent": 15,
    "name": 10,
    "locale": 8,
    "birthday": 7,
}


@dataclass(frozen=True)
class Completeness:
    present: dict[str, bool]

    @property
    def score(self) -> int:
        return sum(weight for part, weight in WEIGHTS.items() if self.present.get(part))

    @property
    def missing(self) -> list[str]:
        return [part for part in WEIGHTS if not self.present.get(part)]

    @property
    def reach(self) -> str:
        """phone_and_email, phone_only, email_only or unreachable."""
        phone, email = self.present["phone_textable"], self.present["email_valid"]
        return {(True, True): "phone_and_email", (True, False): "phone_only", (False, True): "email_only"}.get(
            (phone, email), "unreachable"
        )

    def as_dict(self) -> dict[str, object]:
        return {"score": self.score, "present": self.present, "missing": self.missing, "reach": self.reach}


def completeness(
    *,
    phone_textable: bool,
    email_valid: bool,
    sms_consent: bool,
    email_consent: bool,
    first_name: str | None,
    locale: str | None,
    birthday: str | None,
) -> Completeness:
    return Completeness(
        {
            "phone_textable": phone_textable,
            "email_valid": email_valid,
            "sms_consent": sms_consent,
            "email_consent": email_consent,
            "name": bool(first_name and first_name.strip()),
            "locale": bool(locale),
            "birthday": bool(birthday),
        }
    )


def summary(records: Iterable[Completeness]) -> dict[str, object]:
    """Counts a seller can act on: reach, who can get marketing by SMS or email, what is missing."""
    total, reach, missing, marketable = 0, Counter[str](), Counter[str](), Counter[str]()
    scores = []
    for record in records:
        total += 1
        reach[record.reach] += 1
        missing.update(record.missing)
        scores.append(record.score)
        if record.present["phone_textable"] and record.present["sms_consent"]:
            marketable["sms"] += 1
        if record.present["email_valid"] and record.present["email_consent"]:
            marketable["email"] += 1
    return {
        "customers": total,
        "reach": {key: reach.get(key, 0) for key in ("phone_and_email", "phone_only", "email_only", "unreachable")},
        "can_receive_email": reach["phone_and_email"] + reach["email_only"],
        "can_receive_sms": reach["phone_and_email"] + reach["phone_only"],
        "marketing_reachable": {"sms": marketable["sms"], "email": marketable["email"]},
        "missing": {part: missing.get(part, 0) for part in WEIGHTS},
        "mean_score": round(sum(scores) / total, 1) if total else None,
    }
