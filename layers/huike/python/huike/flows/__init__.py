"""Timed flows on one generic state machine (infra/statemachines/timed_flow.asl.json).

An execution's state is {"flow", "tenant_id", "subject_id", "step", "wake_at", ...}. The machine
waits until wake_at and calls run_step(state); the flow re-checks its exit conditions and sends
through the one send path, and returns either the state to wait for next ("outcome": "wait") or
the final state. Execution names are deterministic (keys.execution_name), so scheduling twice is
a no-op.
"""
