"""The timed-flow registry: flows register their wake-up handler by name; schedule() starts
the execution that wakes one (see huike.flows for the state shape)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from huike.core import clock, keys
from huike.core.enums import Outcome

WakeHandler = Callable[[dict[str, Any]], "FlowResult"]
_REGISTRY: dict[str, WakeHandler] = {}
# The machine running the current step: the flow task cannot be given its ARN in the template
# (the machine's definition references the function), so the execution passes its own.
_running_machine: ContextVar[str | None] = ContextVar("running_machine", default=None)


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


def running_on(state_machine_arn: str | None) -> None:
    """Note the machine running the current step (schedule() falls back to it)."""
    _running_machine.set(state_machine_arn)


def schedule(tenant_id: str, flow_name: str, subject_id: str, wake_at: datetime, *name_parts: str, **extra: Any) -> str:
    """Start (once) the execution that wakes `flow_name` for `subject_id` at `wake_at`."""
    from huike.aws.stepfunctions import start_execution
    from huike.config.env import environment

    state = {
        "flow": flow_name,
        "tenant_id": tenant_id,
        "subject_id": subject_id,
        "step": str(extra.pop("step", "1")),
        "wake_at": clock.to_iso(wake_at),
        **extra,
    }
    name = keys.execution_name(flow_name, tenant_id, subject_id, *name_parts)
    machine = environment().timed_flow_state_machine_arn or _running_machine.get()
    if not machine:
        raise RuntimeError("no timed-flow state machine ARN: set TIMED_FLOW_STATE_MACHINE_ARN")
    return start_execution(machine, name, state)
