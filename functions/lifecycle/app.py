"""Orders table stream: each order transition, acted on once (notices, stats, flow starts)."""

from __future__ import annotations

from huike.core.coldstart import collector_paused_on_cold_start

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    from huike.flows.lifecycle import on_order_change

    raw = record.raw_event["dynamodb"]
    done = on_order_change(raw.get("OldImage"), raw.get("NewImage"))
    logger.info("order change", extra={"keys": raw.get("Keys"), "done": done})


@collector_paused_on_cold_start
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from huike.config.env import LifecycleEnvironment, require_environment

    require_environment(LifecycleEnvironment)  # once per container: a missing name fails the cold start
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
