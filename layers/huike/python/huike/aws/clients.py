"""boto3 clients, built on first use and cached for the life of the container.

Each container has its own boto3 session, so its clients carry the credentials the container was
given (Lambda: the function's role, from the environment).
"""

from __future__ import annotations

import functools
from typing import Any

from huike.core.caches import process_cache


@process_cache
def session() -> Any:
    import boto3
    import botocore.session

    from huike.config.env import environment

    core = botocore.session.get_session()
    core.register_component("data_loader", _data_loader())  # botocore's data, parsed once
    return boto3.session.Session(botocore_session=core, region_name=environment().region)


@functools.cache
def _data_loader() -> Any:
    import botocore.session

    return botocore.session.get_session().get_component("data_loader")


@process_cache
def client(service: str) -> Any:
    """The container's one client of `service` (every table, PynamoDB's and Powertools', shares
    the DynamoDB one)."""
    if service == "dynamodb":
        from botocore.config import Config

        # What PynamoDB configured for its own clients: standard retries, 4 attempts in all.
        return session().client(service, config=Config(retries={"mode": "standard", "total_max_attempts": 4}))
    return session().client(service)
