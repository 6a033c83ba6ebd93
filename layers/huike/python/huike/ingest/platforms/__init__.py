"""Platform adapters: each maps its webhook payload onto huike.core.events.Event."""

from __future__ import annotations

from pydantic import ValidationError

MAX_PROBLEMS = 5


def describe(exc: ValidationError, what: str) -> str:
    """A 400 reason naming the first few invalid fields by path: "invalid X: a.b: msg; c: msg"."""
    problems = []
    for error in exc.errors()[:MAX_PROBLEMS]:
        where = ".".join(str(part) for part in error["loc"]) or "body"
        problems.append(f"{where}: {error['msg']}")
    more = len(exc.errors()) - MAX_PROBLEMS
    if more > 0:
        problems.append(f"and {more} more")
    return f"invalid {what}: " + "; ".join(problems)
