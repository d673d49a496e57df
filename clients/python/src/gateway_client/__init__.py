"""Python client for the Science Gateway JSON API: `GatewayClient(base_url, authorizer)` and
`GatewayClient.restore()` from a cached login (see README.md)."""

from gateway_client.client import ApiError, GatewayClient, TaskFailed, TaskTimeout

__all__ = ["ApiError", "GatewayClient", "TaskFailed", "TaskTimeout"]
