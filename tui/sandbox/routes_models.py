"""``/v1/models``: the cheapest call, which clients use to check that a key works."""

from __future__ import annotations

from typing import Any

from .context import Call, JsonReply, Services
from .errors import ApiError
from .router import Router

MODEL_CREATED = 1_700_000_000


def model_object(services: Services, model_id: str) -> dict[str, Any]:
    """The ``model`` object; ``shutdown_date`` for a deprecated model, else null."""
    return {"id": model_id, "object": "model", "created": MODEL_CREATED, "owned_by": "system",
            "shutdown_date": services.model.shutdowns.get(model_id)}


def model_not_found(model_id: str, param: str | None = "model") -> ApiError:
    """The API's answer for a model the project cannot use."""
    return ApiError(
        404,
        f"The model `{model_id}` does not exist or you do not have access to it.",
        param=param,
        code="model_not_found",
    )


def check_model(services: Services, model_id: str) -> str:
    """``model_id`` if the sandbox serves it; otherwise the API's 404."""
    if model_id not in services.model.models:
        raise model_not_found(model_id)
    return model_id


def list_models(call: Call) -> JsonReply:
    """``GET /v1/models``."""
    models = call.services.model.models
    return JsonReply({"object": "list",
                      "data": [model_object(call.services, m) for m in models]})


def retrieve_model(call: Call) -> JsonReply:
    """``GET /v1/models/{model}``."""
    model_id = call.params["model"]
    if model_id not in call.services.model.models:
        raise model_not_found(model_id, param=None)
    return JsonReply(model_object(call.services, model_id))


def register(router: Router) -> None:
    """Add the models routes."""
    router.add("GET", "/v1/models", list_models, family="models")
    router.add("GET", "/v1/models/{model}", retrieve_model, family="models")
