"""Sandbox tests exercise the legacy Assistants API on purpose: its SDK warning is noise here."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Silence the SDK's Assistants deprecation warnings for the tests of this package only."""
    for item in items:
        if "tests/sandbox/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:openai.*"))
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning"))
