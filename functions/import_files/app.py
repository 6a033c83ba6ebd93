"""S3 ObjectCreated on the imports bucket: plan an uploaded import file (parse, clean, merge
duplicates, write the report and the chunks, queue the chunks). Invoked asynchronously: a
failure is retried by Lambda, then dead-lettered."""

from __future__ import annotations

from huike.core.coldstart import collector_paused_on_cold_start

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@collector_paused_on_cold_start
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from huike.config.env import ImportFilesEnvironment, require_environment
    from huike.imports.jobs import plan_upload

    require_environment(ImportFilesEnvironment)
    outcomes = [plan_upload(unquote_plus(record["s3"]["object"]["key"])) for record in event.get("Records", [])]
    logger.info("import files planned", extra={"outcomes": outcomes})
    return {"outcomes": outcomes}
