"""Timed flows on one generic state machine (infra/statemachines/timed_flow.asl.json).

An execution's state is {"flow", "tenant_id", "subject_id", "step", "wake_at", "execution", ...};
a flow that reserves a marketing send on its customer carries "customer_id", so an exit releases it.
The machine waits until wake_at and calls run_step(state); the flow re-checks its exit conditions
and sends through the one send path. A next wake-up (a deferral, a second touch) is scheduled
like the first: its own execution, or an agenda entry when it is beyond tomorrow (flows.agenda).
Execution names are deterministic (keys.execution_name), so scheduling twice is a no-op.
"""
