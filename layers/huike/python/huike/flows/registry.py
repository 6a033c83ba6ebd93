"""The timed-flow registry: flows register their wake-up handler by name; schedule() starts the
execution that wakes one, or keeps it on the agenda (see huike.flows for the state shape)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from huike.core import clock, keys
from huike.core.enums import Outcome

WakeHandler = Callable[[dict[str, Any]], "FlowResult"]
_REGISTRY: dict[str, WakeHandler] = {}


@dataclass
class FlowResult:
    outcome: Outcome
    reason: str | None = None
    wake_at: datetime | None = None
    next_step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def flow(name: str) -> Callable[[WakeHandler], WakeHandler]:
    def register(handler: WakeHandler) -> WakeHandler:
        _REGISTRY[name] = handler
        return handler

    return register


def handler_for(name: str) -> WakeHandler | None:
    return _REGISTRY.get(name)


def schedule(
    tenant_id: str,
    flow_name: str,
    subject_id: str,
    wake_at: datetime,
    *name_parts: str,
    slot: str | None = None,
    **extra: Any,
) -> str:
    """Wake `flow_name` for `subject_id` at `wake_at`, once (the execution name is deterministic).

    Started now when due within the sweep's reach, else kept on the agenda (huike.flows.agenda).
    `slot`: a name a later schedule of the same kind replaces (a customer's one win-back cycle).
    `send_subject` / `send_step` in `extra`: the send key's parts where they are not the subject
    and step, so an exit or a failure is recorded on the key the flow would have sent under."""
    from huike.flows.agenda import start_or_keep

    name = keys.execution_name(flow_name, tenant_id, subject_id, *name_parts)
    state = {
        "flow": flow_name,
        "tenant_id": tenant_id,
        "subject_id": subject_id,
        "step": str(extra.pop("step", "1")),
        "wake_at": clock.to_iso(wake_at),
        "execution": name,
        **({"slot": slot} if slot else {}),
        **extra,
    }
    return start_or_keep(name, state, wake_at, slot)


def continue_at(state: dict[str, Any], wake_at: datetime, step: str, last: dict[str, Any]) -> str:
    """The flow's next wake-up (a deferral, a moved deadline, the next touch) as its own execution
    or agenda entry: the running execution ends with its step."""
    from huike.flows.agenda import start_or_keep

    root = state.get("execution") or keys.execution_name(state["flow"], state["tenant_id"], state["subject_id"])
    name = keys.continuation_name(root, wake_at)
    following = {**state, "step": step, "wake_at": clock.to_iso(wake_at), "execution": root, "last": last}
    return start_or_keep(name, following, wake_at, state.get("slot"), replacing=False)


def cancel(tenant_id: str, flow_name: str, subject_id: str, *name_parts: str, why: str) -> None:
    """Drop a wake-up scheduled under its own name (see flows.agenda.cancel)."""
    from huike.flows.agenda import cancel as cancel_wake_up

    cancel_wake_up(keys.execution_name(flow_name, tenant_id, subject_id, *name_parts), why)
