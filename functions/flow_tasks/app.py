"""Step Functions task: one call into the flow the state machine names."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


class FlowTask(BaseModel):
    task: Literal["unpaid_reminder.wake"]
    tenant_id: str
    order_id: str
    step: str = "1"


@logger.inject_lambda_context
@event_parser(model=FlowTask)
def handler(event: FlowTask, context: LambdaContext) -> dict[str, Any]:
    from huike.flows import unpaid_reminder

    result = unpaid_reminder.wake(event.tenant_id, event.order_id, event.step)
    logger.info("flow task", extra={"task": event.task, "order_id": event.order_id, **result})
    return result
