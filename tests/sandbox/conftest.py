"""Sandbox tests exercise the legacy Assistants API on purpose: its SDK warning is noise here."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Silence DeprecationWarnings (the SDK's Assistants notice) for this package only."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning"))
