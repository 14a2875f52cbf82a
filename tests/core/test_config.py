"""Config validation: every message names the file, the line, the table and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.config import ConfigError, load_config
from tui.core.keys import NO_KEY_PLACEHOLDER, KeyRing
from tui.core.records import Dialect
from tui.core.resources import shipped


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    return [str(p) for p in caught.value.problems]


def test_valid_config_gives_typed_profiles(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'default_profile = "b"\ntheme = "x"\n'
        '[profiles.a]\napi_key_env = "A_KEY"\norganization = "org-1"\nproject = "proj_1"\n'
        '[profiles.b]\napi_key_cmd = "echo k"\napi = "chat"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'model = "m"\nowner = "team"\n[keymap]\n"app.quit" = "ctrl+x"\n',
    )
    config = load_config(path, environ={})
    assert config.default_profile == "b"
    assert config.profile().name == "b"
    assert config.profiles["a"].organization == "org-1"
    assert config.profiles["b"].api is Dialect.CHAT
    assert config.profiles["b"].owner == "team"
    assert config.keymap == {"app.quit": "ctrl+x"}
    assert config.theme == "x"


def test_unknown_key_names_file_line_table_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.work]\napi_key_env = "K"\norgnization = "org-1"\n')
    [message] = problems(path)
    assert message.startswith(f"{path}:3: [profiles.work] orgnization: unknown key")
    assert "did you mean 'organization'" in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, 'colour = "red"\n[profiles.a]\napi_key_env = "K"\n')
    [message] = problems(path)
    assert message.startswith(f"{path}:1: colour: unknown key")


def test_wrong_types_are_each_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[profiles.a]\napi_key_env = "K"\nmodel = 3\norganization = true\n'
        '[keymap]\n"app.quit" = 1\n',
    )
    messages = problems(path)
    assert f"{path}:3: [profiles.a] model: must be a string, not an integer" in messages
    assert f"{path}:4: [profiles.a] organization: must be a string, not a boolean" in messages
    assert f"{path}:6: [keymap] app.quit: must be a string, not an integer" in messages


def test_profiles_must_be_tables(tmp_path: Path) -> None:
    path = write(tmp_path, 'profiles = "work"\n')
    [message] = problems(path)
    assert f"{path}:1: profiles: must be a table, not a string" == message


def test_unknown_default_profile_lists_the_profiles(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'default_profile = "wrok"\n[profiles.work]\napi_key_env = "K"\n'
        '[profiles.home]\napi_key_env = "H"\n',
    )
    [message] = problems(path)
    assert message == (
        f"{path}:1: default_profile: 'wrok' names no profile; profiles are: home, work"
    )


def test_profile_without_key_source(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.empty]\nmodel = "m"\n')
    [message] = problems(path)
    assert message.startswith(f"{path}:1: [profiles.empty]: has no way to get a key")


def test_bad_dialect_and_base_url(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[profiles.a]\napi_key_env = "K"\napi = "threads"\nbase_url = "localhost"\n'
    )
    messages = problems(path)
    assert any(
        m.startswith(f"{path}:3: [profiles.a] api: 'threads' is not one of") for m in messages
    )
    assert any(m.startswith(f"{path}:4: [profiles.a] base_url:") for m in messages)


def test_bad_env_var_name(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.a]\napi_key_env = "MY KEY"\n')
    [message] = problems(path)
    assert "api_key_env: 'MY KEY' is not an environment variable name" in message


def test_huge_value_and_bad_timeout(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'key_command_timeout = -1\n[profiles.a]\napi_key_env = "K"\nowner = "{"x" * 5000}"\n',
    )
    messages = problems(path)
    assert any("key_command_timeout: must be between 0 and 600" in m for m in messages)
    assert any(
        m.startswith(f"{path}:4: [profiles.a] owner: is 5000 characters long") for m in messages
    )


def test_toml_syntax_error_names_line_table_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.work]\napi_key_env = "K\nmodel = "m"\n')
    [message] = problems(path)
    assert message.startswith(f"{path}:2: [profiles.work] api_key_env: TOML syntax error")


def test_not_toml_at_all(tmp_path: Path) -> None:
    path = write(tmp_path, "this is { not toml\n")
    [message] = problems(path)
    assert message.startswith(f"{path}:1: TOML syntax error")


def test_literal_key_is_refused_when_others_can_read(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.a]\napi_key = "sk-literal-0000abcd"\n', mode=0o644)
    [message] = problems(path)
    assert message.startswith(f"{path}:2: [profiles.a] api_key: a literal key in a file others")
    assert "chmod 600" in message
    assert "0000abcd" not in message


def test_literal_key_in_private_file_is_accepted_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.a]\napi_key = "sk-literal-0000abcd"\n', mode=0o600)
    config = load_config(path, environ={})
    assert config.profiles["a"].api_key == "sk-literal-0000abcd"
    [warning] = config.warnings
    assert "literal api_key" in warning and "sk-literal" not in warning


def test_no_file_derives_default_profile_from_environment(tmp_path: Path) -> None:
    env = {
        "OPENAI_API_KEY": "sk-env-key-0000wxyz",
        "OPENAI_ORG_ID": "org-env",
        "OPENAI_PROJECT_ID": "proj_env",
        "OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
    }
    config = load_config(tmp_path / "absent.toml", environ=env)
    assert not config.exists
    profile = config.profile()
    assert profile.name == "default"
    assert profile.api_key_env == "OPENAI_API_KEY"
    assert (profile.organization, profile.project) == ("org-env", "proj_env")
    assert profile.base_url == "http://127.0.0.1:1/v1"


def test_unknown_profile_requested(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.toml", environ={})
    with pytest.raises(ConfigError, match="no profile named 'nope' \\(profiles: default\\)"):
        config.profile("nope")


def test_shipped_example_config_is_valid(tmp_path: Path) -> None:
    example = shipped("config.example.toml")
    path = write(tmp_path, example.read_text(encoding="utf-8"))
    config = load_config(path, environ={})
    assert set(config.profiles) == {"work", "personal", "local"}
    assert config.profiles["work"].organization != config.profiles["personal"].organization


def test_a_keyless_profile_needs_no_invented_variable(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.local]\nno_key = true\nbase_url = "http://127.0.0.1:11434/v1"\n'
                 'api = "chat"\n')
    profile = load_config(path, environ={}).profiles["local"]
    assert profile.no_key and profile.key_source == "no key needed (no_key = true)"
    assert KeyRing(environ={}).key_for(profile) == NO_KEY_PLACEHOLDER


def test_no_key_is_checked(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.a]\nno_key = "yes"\n[profiles.b]\nno_key = true\n'
                 'api_key_env = "K"\n')
    found = problems(path)
    assert f"{path}:2: [profiles.a] no_key: must be true or false, not a string" in found
    assert any("[profiles.b] no_key: no_key = true and api_key_env contradict" in m for m in found)
