"""S3 as a seller's browser or curl meets it: a PUT or GET of a presigned URL, authorised as the
role that signed it. An object PUT is stored in the emulated bucket and the bucket's notifications
(sources.BucketNotifications) are delivered.

Path-style (http://host/<bucket>/<key>) and virtual-hosted (https://<bucket>.s3.amazonaws.com/<key>)
URLs are both understood. Expiry is checked as S3 does, against the real clock: botocore signs
with the real time, whatever the virtual clock says."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.exceptions import ClientError

from infra.local.apigateway import ApiResponse
from infra.local.sources import BucketNotifications
from infra.local.template import REGION, LocalTemplate


def _error(status: int, code: str, message: str) -> ApiResponse:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return ApiResponse(status, {"Content-Type": "application/xml"}, body)


def bucket_and_key(template: LocalTemplate, url: str) -> tuple[str, str, str] | None:
    """(bucket logical id, bucket name, key) of a URL naming one of the template's buckets."""
    parts = urlsplit(url)
    buckets = {
        template.physical_name(logical_id): logical_id for logical_id in template.resources_of("AWS::S3::Bucket")
    }
    host = parts.hostname or ""
    path = unquote(parts.path)
    for name, logical_id in buckets.items():
        if host.startswith(f"{name}.s3"):
            return logical_id, name, path.lstrip("/")
        if path.startswith(f"/{name}/"):
            return logical_id, name, path[len(name) + 2 :]
    return None


def _signer_client(query: dict[str, str], signers: Mapping[str, Mapping[str, str]]) -> Any:
    """S3 as the URL's signer: the request is authorised as the role that signed it (moto checks
    its policy), as S3 does for a presigned URL."""
    import boto3

    access_key = query.get("X-Amz-Credential", "").split("/")[0]
    for environment in signers.values():
        if environment.get("AWS_ACCESS_KEY_ID") == access_key:
            return boto3.client(
                "s3",
                region_name=REGION,
                aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=environment.get("AWS_SESSION_TOKEN"),
            )
    return None


def _signed(url: str, signers: Mapping[str, Mapping[str, str]]) -> tuple[Any, ApiResponse | None]:
    query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    signed_at, expires = query.get("X-Amz-Date"), query.get("X-Amz-Expires")
    if not signed_at or not expires or "X-Amz-Signature" not in query:
        return None, _error(403, "AccessDenied", "Only presigned requests are accepted here")
    start = dt.datetime.strptime(signed_at, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    if dt.datetime.now(dt.UTC) > start + dt.timedelta(seconds=int(expires)):
        return None, _error(403, "AccessDenied", "Request has expired")
    client = _signer_client(query, signers)
    if client is None:
        return None, _error(
            403, "InvalidAccessKeyId", "The AWS access key Id you provided does not exist in our records"
        )
    return client, None


def presigned_put(
    template: LocalTemplate,
    notifications: BucketNotifications,
    signers: Mapping[str, Mapping[str, str]],
    url: str,
    body: bytes,
) -> ApiResponse:
    located = bucket_and_key(template, url)
    if located is None:
        return _error(404, "NoSuchBucket", "The specified bucket does not exist")
    logical_id, bucket, key = located
    client, refused = _signed(url, signers)
    if refused is not None:
        return refused
    # The Content-Type is not kept: moto reads a form-encoded body (curl's and urllib's default
    # for a PUT with data) as form fields and would store nothing; Huike never reads it back.
    try:
        stored = client.put_object(Bucket=bucket, Key=key, Body=body)
    except ClientError as exc:
        return _error(exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"]["Code"], str(exc))
    etag = stored["ETag"].strip('"')
    notifications.object_created(logical_id, key, len(body), etag)
    return ApiResponse(200, {"ETag": json.dumps(etag)}, "")


def presigned_get(template: LocalTemplate, signers: Mapping[str, Mapping[str, str]], url: str) -> tuple[int, bytes]:
    """A GET of a presigned URL (an import's report): (status, body)."""
    located = bucket_and_key(template, url)
    if located is None:
        return 404, b"NoSuchBucket"
    _, bucket, key = located
    client, refused = _signed(url, signers)
    if refused is not None:
        return refused.status, refused.body.encode()
    try:
        return 200, client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"]["Code"].encode()
