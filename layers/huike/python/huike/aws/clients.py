"""boto3 clients, built on first use and cached for the life of the container."""

from __future__ import annotations

from typing import Any

from huike.core.caches import process_cache


@process_cache
def client(service: str) -> Any:
    import boto3

    from huike.config.env import environment

    return boto3.client(service, region_name=environment().region)
