"""AWS clients, built on first use and cached for the life of the container.

Each container has its own botocore session, so its clients carry the credentials the container
was given (Lambda: the function's role, from the environment). The clients are botocore's, as
boto3.client returns them; boto3 itself (and the s3transfer it loads, ~15 ms of a cold start)
is not needed to build them.
"""

from __future__ import annotations

from typing import Any

from huike.core.caches import process_cache


@process_cache
def session() -> Any:
    """The container's botocore session, in the function's region."""
    import botocore.session

    from huike.config.env import environment

    core = botocore.session.get_session()
    # botocore's data (endpoints, service models) is parsed once per process: the first session's
    # loader serves every later container's session (a host running several functions).
    loader = _loaders.setdefault("data_loader", core.get_component("data_loader"))
    core.register_component("data_loader", loader)
    core.set_config_variable("region", environment().region)
    return core


_loaders: dict[str, Any] = {}


@process_cache
def client(service: str) -> Any:
    """The container's one client of `service` (every table, PynamoDB's and Powertools', shares
    the DynamoDB one)."""
    if service == "dynamodb":
        from botocore.config import Config

        # What PynamoDB configured for its own clients: standard retries, 4 attempts in all.
        return session().create_client(service, config=Config(retries={"mode": "standard", "total_max_attempts": 4}))
    return session().create_client(service)
