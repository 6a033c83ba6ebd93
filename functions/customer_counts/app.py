"""Customers table stream: each change moves its tenant's counters (reach, missing data,
marketing consent, tags) once, so summaries never read the customers."""

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
    from huike.customers.counting import on_customer_change

    raw = record.raw_event
    on_customer_change(raw["eventID"], raw["dynamodb"].get("OldImage"), raw["dynamodb"].get("NewImage"))


@collector_paused_on_cold_start
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from huike.config.env import CustomerCountsEnvironment, require_environment

    require_environment(CustomerCountsEnvironment)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
