"""Per-container caches (settings, bound tables, AWS clients) and the one public way to reset them.

Lambda keeps a module's caches for the life of a container, and a container runs one function.
A host that runs several functions in one process (the local runtime) names the container each
invocation runs in (`container(name)`), so every function keeps its own clients, built with its
own role's credentials. A host that changes the environment under a running process calls
`reset_process_caches()` instead of reaching into private caches by name.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
PROCESS = "process"  # the container of code that runs outside any named one
_cache_clears: list[Callable[[], None]] = []
_stores: dict[str, dict[Any, Any]] = {}
_current = threading.local()
_building = threading.RLock()


def current_container() -> str:
    return getattr(_current, "name", PROCESS)


@contextmanager
def container(name: str) -> Iterator[None]:
    """Run the block (in this thread) with the caches of container `name`."""
    previous = current_container()
    _current.name = name
    try:
        yield
    finally:
        _current.name = previous


def container_state() -> dict[Any, Any]:
    """The current container's own store, for state that is not a function's result."""
    return _stores.setdefault(current_container(), {})


def process_cache(func: F) -> F:
    """functools.cache, kept per container and registered for reset_process_caches()."""

    @functools.wraps(func)
    def cached(*args: Any) -> Any:
        store, key = container_state(), (func, args)
        if key not in store:
            with _building:
                if key not in store:
                    store[key] = func(*args)
        return store[key]

    return cached  # type: ignore[return-value]


def on_reset(callback: Callable[[], None]) -> None:
    """Run `callback` on every reset (state that is not a cached result, e.g. connections)."""
    _cache_clears.append(callback)


def reset_process_caches() -> None:
    """Forget every cached setting, table binding and client, in every container."""
    _stores.clear()
    for clear in _cache_clears:
        clear()
