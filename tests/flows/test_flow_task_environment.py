"""The flow task runs without TIMED_FLOW_STATE_MACHINE_ARN (the template cannot give it one: the
machine's definition references the function). Scheduling from a step must use the ARN the
execution passes in ($$.StateMachine.Id), as it does on AWS."""

from __future__ import annotations

import datetime as dt
import json

from infra.local.template import ROOT, local_template


def test_the_template_gives_the_flow_task_no_state_machine_arn():
    assert "TIMED_FLOW_STATE_MACHINE_ARN" not in local_template().functions()["FlowTaskFunction"].environment


def test_the_run_step_task_passes_the_running_machine_to_the_function():
    definition = json.loads((ROOT / "infra/statemachines/timed_flow.asl.json").read_text())
    payload = definition["States"]["RunStep"]["Parameters"]["Payload"]
    assert payload["state_machine_arn.$"] == "$$.StateMachine.Id"


def test_a_step_schedules_on_the_machine_it_runs_on_without_the_environment_variable(runtime, tenant, monkeypatch):
    from huike.core import clock
    from huike.core.caches import reset_process_caches
    from huike.core.events import CustomerData
    from huike.customers import profile
    from huike.flows.runner import run_step
    from huike.store import tenants

    customer = profile.upsert_customer(
        tenants.get_tenant("demo"),
        # Born tomorrow: today's step finds no birthday and schedules tomorrow's, which is within
        # the sweep's reach, so it starts an execution at once, on the running machine.
        CustomerData(
            platform_id="bday-1",
            phone="+15025550177",
            birthday=(clock.now() + dt.timedelta(days=1)).date().replace(year=1990),
        ),
    )
    machine = local_template().state_machines()["TimedFlowStateMachine"].arn
    monkeypatch.setenv("TIMED_FLOW_STATE_MACHINE_ARN", "")
    reset_process_caches()
    try:
        state = {
            "flow": "birthday",
            "tenant_id": "demo",
            "subject_id": customer.customer_id,
            "step": "1",
            "wake_at": clock.to_iso(clock.now()),
        }
        run_step(state, machine)
    finally:
        monkeypatch.undo()
        reset_process_caches()
    from huike.flows.customers import next_birthday_at

    due = next_birthday_at(tenants.get_tenant("demo"), customer, clock.now())
    assert due is not None and due > clock.now()
    assert [e["name"] for e in runtime.executions()] == [f"birthday-demo-bday-1-{due.year}-{due:%m%d}"]
