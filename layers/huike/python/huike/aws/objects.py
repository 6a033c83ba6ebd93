"""S3 objects and SQS messages for imports: presigned URLs, reads, writes, chunk messages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from huike.aws.clients import client, session
from huike.core.caches import process_cache


@process_cache
def _signing_client() -> Any:
    """S3 with Signature Version 4, which every region accepts for presigned URLs; addressed to
    S3_PUBLIC_ENDPOINT (path-style) when one is set."""
    from botocore.config import Config

    from huike.config.env import environment

    endpoint = environment().s3_public_endpoint
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"} if endpoint else {})
    return session().create_client("s3", endpoint_url=endpoint, config=config)


def presigned_url(method: str, bucket: str, key: str, expires_in: int, content_type: str | None = None) -> str:
    """A URL that lets its holder PUT (upload) or GET (download) one object until it expires."""
    operation = {"PUT": "put_object", "GET": "get_object"}[method]
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if content_type:
        params["ContentType"] = content_type
    url: str = _signing_client().generate_presigned_url(operation, Params=params, ExpiresIn=expires_in)
    return url


def read_object(bucket: str, key: str, max_bytes: int) -> bytes:
    """The object's bytes; ValueError when it is larger than max_bytes (nothing more is read)."""
    response = client("s3").get_object(Bucket=bucket, Key=key)
    if int(response["ContentLength"]) > max_bytes:
        response["Body"].close()
        raise ValueError(f"the file is {response['ContentLength']} bytes; at most {max_bytes} are accepted")
    data: bytes = response["Body"].read()
    return data


def write_object(bucket: str, key: str, body: bytes, content_type: str) -> None:
    client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)


def read_json(bucket: str, key: str) -> Any:
    return json.loads(client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def send_messages(queue_url: str, messages: Iterable[Mapping[str, Any]]) -> int:
    """Send JSON messages, one SendMessage each (an import has at most a few hundred chunks)."""
    sqs = client("sqs")
    sent = 0
    for message in messages:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message, separators=(",", ":")))
        sent += 1
    return sent
