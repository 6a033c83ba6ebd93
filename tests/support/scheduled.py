"""What is scheduled, as a user of the runtime sees it: executions and the agenda's kept wake-ups."""

from __future__ import annotations

from typing import Any

KEPT = "KEPT"  # waiting on the agenda; the sweep starts it the day before it is due


def scheduled(runtime: Any) -> dict[str, str]:
    """Every wake-up by execution name: its execution's status, or KEPT (a test may scan the
    agenda; the product only queries it)."""
    from huike.store.agenda import AgendaEntry

    runs = {e["name"]: e["status"] for e in runtime.executions()}
    runs.update({str(entry.execution): KEPT for entry in AgendaEntry.scan() if str(entry.execution) not in runs})
    return runs


def kept_state(name: str) -> dict[str, Any]:
    """The execution input a kept wake-up will start with."""
    from huike.store.agenda import AgendaEntry

    [entry] = [entry for entry in AgendaEntry.scan() if entry.execution == name]
    return entry.input
