"""Per-process caches (settings, bound tables, AWS clients) and the one public way to reset them.

Lambda keeps a module's caches for the life of a container. A host that changes the environment
under a running process (the local runtime, a test) calls `reset_process_caches()` instead of
reaching into private caches by name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
_cache_clears: list[Callable[[], None]] = []


def process_cache(func: F) -> F:
    """functools.cache, registered for reset_process_caches()."""
    cached = functools.cache(func)
    _cache_clears.append(cached.cache_clear)
    return cached  # type: ignore[return-value]


def on_reset(callback: Callable[[], None]) -> None:
    """Run `callback` on every reset (state that is not a functools cache, e.g. connections)."""
    _cache_clears.append(callback)


def reset_process_caches() -> None:
    """Forget every cached setting, table binding and client (the environment changed)."""
    for clear in _cache_clears:
        clear()
