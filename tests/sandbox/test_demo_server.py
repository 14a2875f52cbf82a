"""The demo's server side: two organizations, their history seeded, stopped afterwards.

The client side (config, record) is ``tui.commands.demo``; see tests/api/test_demo_environment.py.
"""

from __future__ import annotations

import pytest
from openai import NotFoundError, OpenAI

from tui.sandbox import ACME_KEY, PERSONAL_KEY
from tui.sandbox.demo import demo_server


def test_demo_server_serves_what_it_seeded_to_its_owner_only_and_stops() -> None:
    with demo_server(delay_s=0) as server:
        sandbox = server.sandbox
        by_title = {item.title: item for item in server.seeded}
        assert set(by_title) == {"Quarterly report outline", "Sourdough schedule",
                                 "Trip packing list", "Legacy support thread"}
        acme = OpenAI(api_key=ACME_KEY, base_url=sandbox.base_url, max_retries=0)
        personal = OpenAI(api_key=PERSONAL_KEY, base_url=sandbox.base_url, max_retries=0)
        try:
            report = by_title["Quarterly report outline"]
            assert report.organization == "acme-corp" and report.api == "conversations"
            assert acme.conversations.retrieve(report.id).metadata["title"] == report.title
            trip = by_title["Trip packing list"]
            assert trip.organization == "personal"
            assert personal.conversations.retrieve(trip.id).id == trip.id
            with pytest.raises(NotFoundError):  # another organization's: 404
                acme.conversations.retrieve(trip.id)
            legacy = by_title["Legacy support thread"]
            assert acme.beta.threads.retrieve(legacy.id).id == legacy.id
        finally:
            acme.close()
            personal.close()
    assert not sandbox.running
