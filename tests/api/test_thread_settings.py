"""A thread's own model and instructions, changed mid-thread, as each dialect must send them.

What the client really sent is read from the sandbox's request journal (real HTTP, real SDK):
the Responses API takes ``instructions``, Chat Completions a system message first, a legacy
run its ``instructions`` override.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tui.core import session
from tui.core.api.base import Backend
from tui.core.config import ConfigError, load_config
from tui.core.record_access import Records
from tui.core.records import Dialect, Profile
from tui.core.store import Store
from tui.sandbox import Sandbox

BackendFactory = Callable[..., Backend]
PATHS = {
    Dialect.CONVERSATIONS: r"/responses$",
    Dialect.CHAT: r"/chat/completions$",
    Dialect.ASSISTANTS: r"/runs$",
}


async def send(records: Records, backend: Backend, record: object, text: str) -> None:
    async for _ in session.send_message(records, backend, record, text):  # type: ignore[arg-type]
        pass


def sent_instructions(dialect: Dialect, body: dict) -> str | None:
    if dialect is Dialect.CHAT:
        first = body["messages"][0]
        return first["content"] if first["role"] == "system" else None
    return body.get("instructions")


@pytest.mark.parametrize("dialect", list(Dialect))
async def test_model_and_instructions_change_mid_thread(
    dialect: Dialect, sandbox: Sandbox, profiles: dict[str, Profile],
    backend_for: BackendFactory, store: Store, records: Records,
) -> None:
    profile = replace(profiles["acme"], model="gpt-5-mini", api=dialect)
    backend = backend_for("acme", dialect, profile=profile)
    record = await session.create_and_record(records, backend, "Settings")
    await send(records, backend, record, "first question")
    store.update_thread(record.id, model="gpt-4o", instructions="Answer in French.\nBe brief.")
    changed = store.get(record.id)
    assert changed is not None
    await send(records, backend, changed, "second question")
    first, second = sandbox.requests(PATHS[dialect])[-2:]
    assert sent_instructions(dialect, first) is None
    assert "instructions" not in first  # left out, not sent as null
    if dialect is Dialect.ASSISTANTS:  # a run takes the model of the assistant it names
        assert first["assistant_id"] != second["assistant_id"]
        assistants = sandbox.requests(r"/assistants$")
        assert [a["model"] for a in assistants] == ["gpt-5-mini", "gpt-4o"]
    else:
        assert (first["model"], second["model"]) == ("gpt-5-mini", "gpt-4o")
    assert sent_instructions(dialect, second) == "Answer in French.\nBe brief."
    if dialect is Dialect.CHAT:  # the system message once, then the history in order
        roles = [m["role"] for m in second["messages"]]
        assert roles == ["system", "user", "assistant", "user"]
    stored = store.get(record.id)
    assert stored is not None and stored.model == "gpt-4o"


@pytest.mark.parametrize("dialect", [Dialect.CONVERSATIONS, Dialect.CHAT])
async def test_the_profiles_default_instructions_apply_until_a_thread_has_its_own(
    dialect: Dialect, sandbox: Sandbox, profiles: dict[str, Profile],
    backend_for: BackendFactory, store: Store, records: Records,
) -> None:
    profile = replace(profiles["acme"], api=dialect, instructions="You are terse.")
    backend = backend_for("acme", dialect, profile=profile)
    record = await session.create_and_record(records, backend, "Defaults")
    await send(records, backend, record, "hello")
    assert sent_instructions(dialect, sandbox.requests(PATHS[dialect])[-1]) == "You are terse."
    store.update_thread(record.id, instructions="You are chatty.")
    own = store.get(record.id)
    assert own is not None
    await send(records, backend, own, "hello again")
    assert sent_instructions(dialect, sandbox.requests(PATHS[dialect])[-1]) == "You are chatty."


def test_instructions_in_the_config_take_lines_and_refuse_control_characters(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[profiles.work]\napi_key_env = "K"\ninstructions = """\nBe brief.\n'
                    'Cite sources."""\n')
    assert load_config(path, {}).profile("work").instructions == "Be brief.\nCite sources."
    path.write_text('[profiles.work]\napi_key_env = "K"\ninstructions = "ring \\u0007 bell"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert f"{path}:3: [profiles.work] instructions: contains control characters" in str(
        caught.value)
