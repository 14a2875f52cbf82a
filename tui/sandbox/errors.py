"""OpenAI-shaped errors: one exception that every layer raises and the server renders.

The real API answers every failure with ``{"error": {"message", "type", "param", "code"}}``;
the SDK builds its exceptions (``NotFoundError``, ``RateLimitError`` …) from the status code and
reads ``code`` from that body, so the sandbox must produce exactly this shape, never a bare
string or a Python traceback.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer with a non-2xx status in OpenAI's error shape.

    ``headers`` carries extras such as ``retry-after`` that belong to this error only.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body the real API sends for this error."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def inner(self) -> dict[str, Any]:
        """The bare error object, as carried inside an SSE ``error`` event."""
        return dict(self.body()["error"])


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    """400 ``invalid_request_error``: the request itself is wrong."""
    return ApiError(400, message, param=param, code=code)


def missing_param(name: str) -> ApiError:
    """400 for a required body field that is absent, worded as the real API does."""
    return bad_request(
        f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
    )


def invalid_type(name: str, expected: str) -> ApiError:
    """400 for a field of the wrong JSON type."""
    return bad_request(
        f"Invalid type for '{name}': expected {expected}.", param=name, code="invalid_type"
    )


def not_found(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    """404: missing, deleted, expired, or owned by another organization/project.

    The real API gives the same answer in all four cases, so callers cannot tell them apart;
    neither can clients of the sandbox.
    """
    return ApiError(404, message, param=param, code=code)
