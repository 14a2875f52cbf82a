"""``/v1/conversations`` and its items: the server-side history of the current API.

There is deliberately no ``GET /v1/conversations``: the real API cannot list conversations,
which is the whole reason threadtui keeps its own record. Deleting a conversation leaves its
items (and the responses that made them) stored, as the SDK documents.
"""

from __future__ import annotations

from typing import Any

from . import items as item_shapes
from . import validate
from .context import Call, JsonReply, Services
from .errors import invalid_type, missing_param, not_found
from .router import Router
from .state import Conversation
from .tenancy import Owner


def create(services: Services, owner: Owner, raw_items: Any, metadata: Any) -> Conversation:
    """Store a new conversation (shared by the route and the seeding helpers, which may seed
    more than the 20 items one API call can carry)."""
    meta = validate.metadata(metadata)
    new_items = item_shapes.normalize(services.ids, raw_items or [], "items")
    with services.store.lock:
        conv = Conversation(services.ids.new("conv"), owner, services.clock.now_int(), meta)
        services.store.conversations[conv.id] = conv
        append(services, conv, new_items)
    return conv


def append(services: Services, conv: Conversation, new_items: list[dict[str, Any]]) -> None:
    """Add stored items at the end of ``conv``."""
    with services.store.lock:
        for item in new_items:
            services.store.items[item["id"]] = item
            conv.item_ids.append(item["id"])


def history(services: Services, conv: Conversation) -> list[dict[str, Any]]:
    """The conversation's items, oldest first (what the model sees before a new turn)."""
    with services.store.lock:
        return [services.store.items[i] for i in conv.item_ids]


def _conversation(call: Call) -> Conversation:
    return call.services.store.conversation(call.params["conversation_id"], call.tenant.owner)


def create_route(call: Call) -> JsonReply:
    """``POST /v1/conversations``."""
    item_shapes.check_count(call.body.get("items"), "items")
    conv = create(call.services, call.tenant.owner, call.body.get("items"),
                  call.body.get("metadata"))
    return JsonReply(conv.to_api())


def retrieve_route(call: Call) -> JsonReply:
    """``GET /v1/conversations/{id}``."""
    return JsonReply(_conversation(call).to_api())


def update_route(call: Call) -> JsonReply:
    """``POST /v1/conversations/{id}``: replaces the metadata."""
    if "metadata" not in call.body:
        raise missing_param("metadata")
    meta = validate.metadata(call.body["metadata"])
    with call.services.store.lock:
        conv = _conversation(call)
        conv.metadata = meta
        return JsonReply(conv.to_api())


def delete_route(call: Call) -> JsonReply:
    """``DELETE /v1/conversations/{id}``: the conversation goes, its items stay stored."""
    with call.services.store.lock:
        conv = _conversation(call)
        conv.deleted = True
    return JsonReply({"id": conv.id, "object": "conversation.deleted", "deleted": True})


def list_items_route(call: Call) -> JsonReply:
    """``GET /v1/conversations/{id}/items`` with ``after``, ``limit``, ``order`` (default desc)."""
    conv = _conversation(call)
    page, has_more = validate.page(history(call.services, conv), call.query)
    return JsonReply(validate.list_body(page, has_more))


def create_items_route(call: Call) -> JsonReply:
    """``POST /v1/conversations/{id}/items``: up to 20 items, answered as a list."""
    raw = call.body.get("items")
    if not isinstance(raw, list):
        raise invalid_type("items", "an array of items")
    item_shapes.check_count(raw, "items")
    new_items = item_shapes.normalize(call.services.ids, raw, "items")
    with call.services.store.lock:
        append(call.services, _conversation(call), new_items)
    return JsonReply(validate.list_body(new_items, False))


def _item(call: Call, conv: Conversation) -> dict[str, Any]:
    item_id = call.params["item_id"]
    if item_id not in conv.item_ids:
        raise not_found(f"Item with id '{item_id}' not found.")
    return call.services.store.items[item_id]


def retrieve_item_route(call: Call) -> JsonReply:
    """``GET /v1/conversations/{id}/items/{item_id}``."""
    with call.services.store.lock:
        return JsonReply(_item(call, _conversation(call)))


def delete_item_route(call: Call) -> JsonReply:
    """``DELETE /v1/conversations/{id}/items/{item_id}``: answers with the conversation."""
    with call.services.store.lock:
        conv = _conversation(call)
        item = _item(call, conv)
        conv.item_ids.remove(item["id"])
        del call.services.store.items[item["id"]]
        return JsonReply(conv.to_api())


def register(router: Router) -> None:
    """Add the conversations routes."""
    base = "/v1/conversations"
    one = base + "/{conversation_id}"
    router.add("POST", base, create_route, family="conversations")
    router.add("GET", one, retrieve_route, family="conversations")
    router.add("POST", one, update_route, family="conversations")
    router.add("DELETE", one, delete_route, family="conversations")
    router.add("GET", one + "/items", list_items_route, family="conversations")
    router.add("POST", one + "/items", create_items_route, family="conversations")
    router.add("GET", one + "/items/{item_id}", retrieve_item_route, family="conversations")
    router.add("DELETE", one + "/items/{item_id}", delete_item_route, family="conversations")
