"""The switcher bar and the profile picker: what is shown, and that switching never blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_harness import AppEnv, idle, notification_text, to_list, wait_until
from textual.widgets import OptionList

from tui.app.focus import focus_now
from tui.app.screens.profile_picker import ProfilePicker
from tui.core.config import load_config
from tui.core.keys import KeyRing


def bar_text(app) -> str:
    return app.main.bar.render().plain


async def test_bar_shows_profile_server_reported_org_project_key_dialect_model(
    app_env: AppEnv,
) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        # Before any answer: the configured values (none here) and no key yet.
        assert "work" in bar_text(app) and "org: not yet known" in bar_text(app)
        assert "?" not in bar_text(app) and "(org from key)" not in bar_text(app)
        await idle(pilot, app)
        text = bar_text(app)
        assert "acme-corp/proj_sandboxacmedefault" in text  # from the response headers
        assert "sk-…acme" in text and "0000acme" not in text  # masked key only
        assert "conversations" in text and "gpt-4.1-mini" in text


async def test_ctrl_o_picker_filters_and_switches_keeping_the_sidebar_position(
    app_env: AppEnv,
) -> None:
    for n in range(4):
        app_env.record(f"conv_{n}", f"Thread {n}", age_days=n + 1)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("j", "j")
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, ProfilePicker)
        listing = app.screen.query_one("#picker-list", OptionList)
        assert [o.id for o in listing.options] == ["work", "home", "nokey"]
        await pilot.press(*"hom")
        assert [o.id for o in listing.options] == ["home"]
        await pilot.press("enter")
        assert not isinstance(app.screen, ProfilePicker)
        # Shown at once, before any network answer.
        assert app.main.profile_name == "home" and bar_text(app).startswith(" home ")
        assert app.main.sidebar.thread_list.highlighted_id == "conv_2"
        await idle(pilot, app)
        assert "personal/proj_sandboxpersonal" in bar_text(app)
        assert "sk-…pers" in bar_text(app)
        # Every work thread is now another profile's.
        prompt = app.main.sidebar.thread_list.highlighted_option.prompt
        assert "foreign" in prompt.visualize().plain


async def test_escape_leaves_the_profile_unchanged(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("ctrl+o", "down", "escape")
        assert app.main.profile_name == "work"


async def test_a_profile_without_key_says_so_in_the_bar(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.main.activate_profile("nokey")
        await idle(pilot, app)
        assert "no key" in bar_text(app)
        assert "TT_NEVER_SET_KEY" in notification_text(app)


async def test_a_slow_key_command_does_not_block_the_ui(app_env: AppEnv, tmp_path: Path) -> None:
    # The key command waits until the test opens a gate, so "while it runs" is certain, not a
    # matter of timing.
    gate = tmp_path / "gate"
    config_path = tmp_path / "slow.toml"
    config_path.write_text(
        app_env.config.path.read_text()
        + f"""
[profiles.slow]
api_key_cmd = "while [ ! -e '{gate}' ]; do sleep 0.02; done; echo sk-proj-sandbox-personal-pers"
base_url = "{app_env.sandbox.base_url}"
"""
    )
    config = load_config(config_path, {})
    app = app_env.make_app(config=config, keyring=KeyRing(environ={"TT_WORK_KEY": "x"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.main.activate_profile("slow")
        await pilot.press("ctrl+b")  # keys are answered while the command runs
        assert not app.main.sidebar.display
        focus_now(app.main.composer)  # not .focus(): that moves focus after the queued keys
        await pilot.press(*"still typing")
        assert app.main.composer.text == "still typing"
        assert bar_text(app).startswith(" slow ") and "sk-…pers" not in bar_text(app)
        gate.touch()  # now the command may finish
        await wait_until(pilot, lambda: "sk-…pers" in bar_text(app), timeout=10)


def with_profiles(app_env: AppEnv, tmp_path: Path, *names: str):
    """The harness config plus profiles ``names`` (home's key), listed in this order."""
    text = app_env.config.path.read_text()
    for name in names:
        text += (f'\n[profiles.{name}]\napi_key_env = "TT_HOME_KEY"\n'
                 f'base_url = "{app_env.sandbox.base_url}"\n')
    path = tmp_path / "more.toml"
    path.write_text(text)
    return load_config(path, {})


async def test_an_exact_name_goes_first_and_gets_the_highlight(
    app_env: AppEnv, tmp_path: Path
) -> None:
    config = with_profiles(app_env, tmp_path, "acme-legacy", "acme", "old-acme")
    app = app_env.make_app(config=config, profile="acme-legacy")
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("ctrl+o")
        listing = app.screen.query_one("#picker-list", OptionList)
        assert listing.highlighted_option.id == "acme-legacy"  # nothing typed: the current one
        await pilot.press(*"acme")
        assert [o.id for o in listing.options] == ["acme", "acme-legacy", "old-acme"]
        assert listing.highlighted_option.id == "acme"
        await pilot.press("enter")
        assert app.main.profile_name == "acme"


async def test_enter_on_the_current_profile_says_so(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("ctrl+o", "enter")
        assert not isinstance(app.screen, ProfilePicker)
        assert app.main.profile_name == "work"
        assert "Already using profile work" in notification_text(app)


def test_a_configured_but_unanswered_organization_is_called_unconfirmed() -> None:
    from tui.app.widgets.switcher import render_bar
    from tui.core.records import Identity, Profile

    profile = Profile(name="work", organization="org-acme", project="proj_a")
    before = render_bar(profile, None, None, None, None).plain
    assert "org-acme/proj_a (unconfirmed)" in before and "?" not in before
    told = Identity(profile="work", key_hint="sk-…acme", organization="acme-corp", project="p")
    after = render_bar(profile, "sk-…acme", told, None, None).plain
    assert "acme-corp/p" in after and "unconfirmed" not in after


async def test_the_last_profile_and_sidebar_width_are_kept_for_the_next_start(
    app_env: AppEnv,
) -> None:
    """Remembered in the state file (never the config); --profile still wins."""
    app = app_env.make_app(remember_theme=True)
    async with app.run_test(size=(100, 24)) as pilot:
        await idle(pilot, app)
        app.main.activate_profile("home")
        await to_list(pilot, app)
        await pilot.press("greater_than_sign", "greater_than_sign")
        wider = app.main.sidebar.width_share
        await idle(pilot, app)
    again = app_env.make_app(remember_theme=True)
    async with again.run_test(size=(100, 24)) as pilot:
        await idle(pilot, again)
        assert again.main.profile_name == "home"
        assert again.main.sidebar.width_share == pytest.approx(wider, abs=1e-3)
    asked = app_env.make_app(remember_theme=True, profile="work")
    async with asked.run_test(size=(100, 24)) as pilot:
        await idle(pilot, asked)
        assert asked.main.profile_name == "work"


async def test_bar_warns_when_the_active_profiles_model_shuts_down_within_60_days(
    app_env: AppEnv,
) -> None:
    """Issue 16.11: the sandbox's /v1/models says gpt-4.1-mini shuts down on 2027-01-14; on
    2026-11-27 that is 48 days away, so the bar says so next to the model. ``home`` is on the
    same model; ``nokey`` (the default model, current) gets no warning."""
    import datetime as dt

    today = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC).timestamp()
    app = app_env.make_app(clock=lambda: today)
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await wait_until(pilot, lambda: "shuts down 2027-01-14" in bar_text(app))
        text = bar_text(app)
        # Within the 80 columns shown, however long the organization and project are.
        assert "gpt-4.1-mini shuts down 2027-01-14" in text[:80]
        app.main.activate_profile("nokey")
        await idle(pilot, app)
        assert "nokey" in bar_text(app) and "shuts down" not in bar_text(app)


async def test_bar_has_no_warning_while_the_shutdown_is_far(app_env: AppEnv) -> None:
    """On the harness's fixed day (2026-09-21) the same date is 115 days away: no warning."""
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        assert "gpt-4.1-mini" in bar_text(app) and "shuts down" not in bar_text(app)


@pytest.mark.parametrize("served", ["soon", 20270114, "2027-13-01"])
async def test_a_malformed_shutdown_date_leaves_the_bar_alone(
    app_env: AppEnv, served: object
) -> None:
    import datetime as dt

    assert app_env.sandbox is not None
    app_env.sandbox.services.model.shutdowns = {"gpt-4.1-mini": served}
    today = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC).timestamp()
    app = app_env.make_app(clock=lambda: today)
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        text = bar_text(app)
        assert "acme-corp" in text and "shuts down" not in text
