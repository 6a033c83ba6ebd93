"""CloudWatch metrics, as embedded metric format lines in the function's log (Powertools): no
API call, no client. template.yaml's alarms watch them."""

from __future__ import annotations

SEND_FAILED = "SendFailed"


def count_failed_send(flow: str, channel: str | None, reason: str) -> None:
    """One send that no channel delivered (the ledger records it as failed). Dimension: service
    only, so one alarm covers every flow; flow, channel and reason ride along as properties."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=SEND_FAILED, unit=MetricUnit.Count, value=1) as metric:
        metric.add_metadata(key="flow", value=flow)
        metric.add_metadata(key="channel", value=channel or "none")
        metric.add_metadata(key="reason", value=reason[:200])
