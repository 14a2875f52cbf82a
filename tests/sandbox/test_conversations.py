"""``/v1/conversations`` and items through the SDK: CRUD, metadata limits, pagination."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest
from openai import OpenAI

from tui.sandbox import ACME_KEY, Sandbox

Client = Callable[..., OpenAI]


def test_create_retrieve_update_delete(openai_client: Client) -> None:
    client = openai_client("acme")
    conv = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "hello"}],
        metadata={"title": "First"},
    )
    assert conv.id.startswith("conv_") and conv.object == "conversation"
    assert conv.metadata == {"title": "First"}
    assert client.conversations.retrieve(conv.id).created_at == conv.created_at
    updated = client.conversations.update(conv.id, metadata={"title": "Renamed", "app": "t"})
    assert updated.metadata == {"title": "Renamed", "app": "t"}
    deleted = client.conversations.delete(conv.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (conv.id, True,
                                                             "conversation.deleted")
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conv.id)
    with pytest.raises(openai.NotFoundError):
        client.conversations.delete(conv.id)


def test_unknown_conversation_is_404(openai_client: Client) -> None:
    with pytest.raises(openai.NotFoundError):
        openai_client().conversations.retrieve("conv_doesnotexist")


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ({f"k{i}": "v" for i in range(17)}, "object_above_max_properties"),
        ({"k" * 65: "v"}, "string_above_max_length"),
        ({"title": "v" * 513}, "string_above_max_length"),
        ({"n": 1}, "invalid_type"),
    ],
)
def test_metadata_limits_are_enforced(openai_client: Client, metadata: dict[str, object],
                                      code: str) -> None:
    client = openai_client()
    with pytest.raises(openai.BadRequestError) as caught:
        client.conversations.create(metadata=metadata)  # type: ignore[arg-type]
    assert caught.value.code == code
    conv = client.conversations.create()
    with pytest.raises(openai.BadRequestError):
        client.conversations.update(conv.id, metadata=metadata)  # type: ignore[arg-type]


def test_metadata_at_the_limits_is_accepted(openai_client: Client) -> None:
    metadata = {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}
    conv = openai_client().conversations.create(metadata=metadata)
    assert conv.metadata == metadata


def test_items_create_retrieve_delete(openai_client: Client) -> None:
    client = openai_client()
    conv = client.conversations.create()
    created = client.conversations.items.create(
        conv.id,
        items=[
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a"}]},
            {"role": "assistant", "content": "b"},
        ],
    )
    assert [i.role for i in created.data] == ["user", "assistant"]
    user, assistant = created.data
    assert user.content[0].type == "input_text"
    assert assistant.content[0].type == "output_text" and assistant.content[0].text == "b"
    assert created.first_id == user.id and created.last_id == assistant.id
    fetched = client.conversations.items.retrieve(assistant.id, conversation_id=conv.id)
    assert fetched.id == assistant.id
    after = client.conversations.items.delete(user.id, conversation_id=conv.id)
    assert after.id == conv.id and after.object == "conversation"
    assert [i.id for i in client.conversations.items.list(conv.id)] == [assistant.id]
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve(user.id, conversation_id=conv.id)


def test_at_most_twenty_items_per_call(openai_client: Client) -> None:
    client = openai_client()
    items = [{"role": "user", "content": str(i)} for i in range(21)]
    with pytest.raises(openai.BadRequestError) as caught:
        client.conversations.create(items=items)  # type: ignore[arg-type]
    assert caught.value.code == "array_above_max_length"
    conv = client.conversations.create(items=items[:20])  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError):
        client.conversations.items.create(conv.id, items=items)  # type: ignore[arg-type]


def test_bad_items_are_400(openai_client: Client) -> None:
    client = openai_client()
    for bad in ([{"role": "wizard", "content": "x"}], [{"type": "image_generation_call"}],
                [{"role": "user", "content": 5}]):
        with pytest.raises(openai.BadRequestError):
            client.conversations.create(items=bad)  # type: ignore[arg-type]


@pytest.fixture
def long_conversation(sandbox: Sandbox) -> tuple[str, list[str]]:
    turns = [("user" if i % 2 == 0 else "assistant", f"turn {i}") for i in range(45)]
    conv_id = sandbox.seed_conversation(ACME_KEY, title="long", turns=turns)
    with sandbox.store.lock:
        ids = list(sandbox.store.conversations[conv_id].item_ids)
    return conv_id, ids


def test_items_default_to_newest_first_with_cursor_fields(
    openai_client: Client, long_conversation: tuple[str, list[str]]
) -> None:
    conv_id, ids = long_conversation
    page = openai_client().conversations.items.list(conv_id, limit=10)
    assert [i.id for i in page.data] == ids[::-1][:10]
    assert page.has_more is True
    assert (page.first_id, page.last_id) == (ids[-1], ids[-10])


def test_auto_pagination_walks_every_item_in_both_orders(
    openai_client: Client, long_conversation: tuple[str, list[str]]
) -> None:
    conv_id, ids = long_conversation
    client = openai_client()
    assert [i.id for i in client.conversations.items.list(conv_id, limit=10, order="asc")] == ids
    desc = client.conversations.items.list(conv_id, limit=7, order="desc")
    assert [i.id for i in desc] == ids[::-1]


def test_after_cursor_and_last_page(openai_client: Client,
                                    long_conversation: tuple[str, list[str]]) -> None:
    conv_id, ids = long_conversation
    page = openai_client().conversations.items.list(conv_id, order="asc", after=ids[39],
                                                    limit=100)
    assert [i.id for i in page.data] == ids[40:]
    assert page.has_more is False
    with pytest.raises(openai.BadRequestError):
        openai_client().conversations.items.list(conv_id, after="msg_unknown")


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_out_of_range_is_400(openai_client: Client, limit: int) -> None:
    conv = openai_client().conversations.create()
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client().conversations.items.list(conv.id, limit=limit)
    assert caught.value.param == "limit"


def test_bad_order_is_400(openai_client: Client) -> None:
    conv = openai_client().conversations.create()
    with pytest.raises(openai.BadRequestError):
        openai_client().conversations.items.list(conv.id, order="sideways")  # type: ignore[arg-type]


def test_empty_list(openai_client: Client) -> None:
    conv = openai_client().conversations.create()
    page = openai_client().conversations.items.list(conv.id)
    assert page.data == [] and page.has_more is False
    assert list(openai_client().conversations.items.list(conv.id)) == []


def test_deleting_a_conversation_keeps_its_items_and_responses(
    sandbox: Sandbox, openai_client: Client
) -> None:
    client = openai_client()
    conv = client.conversations.create()
    response = client.responses.create(model="gpt-4o-mini", input="keep me", conversation=conv.id)
    with sandbox.store.lock:
        item_ids = list(sandbox.store.conversations[conv.id].item_ids)
    client.conversations.delete(conv.id)
    assert client.responses.retrieve(response.id).id == response.id
    with sandbox.store.lock:
        assert all(i in sandbox.store.items for i in item_ids)
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.list(conv.id)
    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


def test_update_without_metadata_is_400(openai_client: Client) -> None:
    conv = openai_client().conversations.create()
    with pytest.raises(openai.BadRequestError):
        openai_client().post(f"/conversations/{conv.id}", body={}, cast_to=object)
