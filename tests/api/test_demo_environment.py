"""`threadtui --demo`'s world: isolated files, two organizations, one misfiled thread."""

from __future__ import annotations

import os

import pytest
from openai import NotFoundError, OpenAI

from tui.commands.demo import FORGOTTEN_ID, demo_environment
from tui.core.config import load_config
from tui.core.keys import resolve_api_key
from tui.core.records import ThreadStatus
from tui.core.store import Store


def test_demo_environment_is_isolated_and_cleaned_up() -> None:
    before = dict(os.environ)
    with demo_environment(delay_s=0) as demo:
        root = demo.root
        assert demo.config_path.parent == root and demo.data_dir.parent == root
        assert demo.config_path.stat().st_mode & 0o077 == 0
        # The keys are handed to the caller, not put into this process's environment.
        assert dict(os.environ) == before
        assert set(demo.environ) == {"THREADTUI_DEMO_ACME_KEY", "THREADTUI_DEMO_PERSONAL_KEY"}
    assert not root.exists()


def test_demo_profiles_reach_their_own_threads_and_the_misfiled_one_is_404() -> None:
    with demo_environment(delay_s=0) as demo:
        config = load_config(demo.config_path, environ=demo.environ)
        assert set(config.profiles) == {"acme", "personal", "acme-legacy"}
        clients = {
            name: OpenAI(
                api_key=resolve_api_key(profile, environ=demo.environ),
                base_url=profile.base_url,
                max_retries=0,
            )
            for name, profile in config.profiles.items()
        }
        with Store.open(demo.data_dir) as store:
            threads = {t.title: t for t in store.list_threads()}
            assert {t.organization for t in threads.values()} >= {"acme-corp", "personal"}
            assert threads["(imported id) an old conversation"].id == FORGOTTEN_ID
            assert threads["(imported id) an old conversation"].status is ThreadStatus.UNKNOWN
            report = threads["Quarterly report outline"]
            assert clients["acme"].conversations.retrieve(report.id).id == report.id
            assert len(store.transcript(report.id)) == 2

            misfiled = threads["Trip packing list"]
            assert misfiled.profile == "acme"
            with pytest.raises(NotFoundError):
                clients["acme"].conversations.retrieve(misfiled.id)
            assert clients["personal"].conversations.retrieve(misfiled.id).id == misfiled.id

            legacy = threads["Legacy support thread"]
            assert legacy.profile == "acme-legacy"
            assert clients["acme-legacy"].beta.threads.retrieve(legacy.id).id == legacy.id
        for client in clients.values():
            client.close()
