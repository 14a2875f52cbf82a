"""Who sees what: organizations, projects, project keys and user keys."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest
from openai import OpenAI

from tui.sandbox import (
    ACME_KEY,
    ACME_ORG_ID,
    ACME_RESEARCH_PROJECT_ID,
    PERSONAL_KEY,
    PERSONAL_ORG_ID,
    PERSONAL_PROJECT_ID,
    USER_KEY,
    ApiError,
    ApiKey,
    Organization,
    Project,
    Sandbox,
    Tenancy,
    default_tenancy,
)

from .rawhttp import request

Client = Callable[..., OpenAI]


# -- resolution rules (no HTTP) ----------------------------------------------------------------
def test_project_key_resolves_to_its_project() -> None:
    scope = default_tenancy().resolve(ACME_KEY)
    assert (scope.organization.slug, scope.project.id) == ("acme-corp", "proj_sandboxacmedefault")


def test_project_key_accepts_matching_headers_by_id_or_slug() -> None:
    tenancy = default_tenancy()
    assert tenancy.resolve(ACME_KEY, ACME_ORG_ID).organization.id == ACME_ORG_ID
    assert tenancy.resolve(ACME_KEY, "acme-corp", "proj_sandboxacmedefault").project.id


@pytest.mark.parametrize(
    ("org", "project", "code"),
    [
        (PERSONAL_ORG_ID, None, "mismatched_organization"),
        (None, ACME_RESEARCH_PROJECT_ID, "mismatched_project"),
    ],
)
def test_project_key_with_foreign_header_is_401(org: str | None, project: str | None,
                                                code: str) -> None:
    with pytest.raises(ApiError) as caught:
        default_tenancy().resolve(ACME_KEY, org, project)
    assert (caught.value.status, caught.value.code) == (401, code)


def test_user_key_defaults_to_its_first_organization_and_switches_by_header() -> None:
    tenancy = default_tenancy()
    assert tenancy.resolve(USER_KEY).organization.slug == "acme-corp"
    switched = tenancy.resolve(USER_KEY, PERSONAL_ORG_ID)
    assert (switched.organization.slug, switched.project.id) == ("personal", PERSONAL_PROJECT_ID)
    research = tenancy.resolve(USER_KEY, "acme-corp", ACME_RESEARCH_PROJECT_ID)
    assert research.project.name == "Research"


@pytest.mark.parametrize(
    ("org", "project", "code"),
    [("org-nobody", None, "invalid_organization"),
     (PERSONAL_ORG_ID, ACME_RESEARCH_PROJECT_ID, "invalid_project")],
)
def test_user_key_outside_its_reach_is_401(org: str, project: str | None, code: str) -> None:
    with pytest.raises(ApiError) as caught:
        default_tenancy().resolve(USER_KEY, org, project)
    assert (caught.value.status, caught.value.code) == (401, code)


def test_user_key_cannot_reach_an_organization_it_is_not_in() -> None:
    solo = Organization("org-solo", "solo", "Solo", (Project("proj_solo", "Default"),))
    other = Organization("org-other", "other", "Other", (Project("proj_other", "Default"),))
    tenancy = Tenancy([solo, other], [ApiKey("sk-sandbox-solo-user", ("org-solo",))])
    with pytest.raises(ApiError) as caught:
        tenancy.resolve("sk-sandbox-solo-user", "org-other")
    assert caught.value.code == "invalid_organization"


def test_tenancy_rejects_inconsistent_tables() -> None:
    org = Organization("org-a", "a", "A", (Project("proj_a", "Default"),))
    with pytest.raises(ValueError):
        Tenancy([org], [ApiKey("sk-sandbox-x", ("org-missing",))])
    with pytest.raises(ValueError):
        Tenancy([org], [ApiKey("sk-sandbox-x", ("org-a",), "proj_missing")])


# -- over HTTP through the SDK -----------------------------------------------------------------
def test_conversation_is_404_for_another_organization(openai_client: Client) -> None:
    conv = openai_client("acme").conversations.create()
    assert openai_client("acme").conversations.retrieve(conv.id).id == conv.id
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client("personal").conversations.retrieve(conv.id)
    assert caught.value.status_code == 404
    assert caught.value.body == {"message": f"Conversation with id '{conv.id}' not found.",
                                 "type": "invalid_request_error", "param": None, "code": None}


def test_conversation_is_404_for_another_project_of_the_same_organization(
    openai_client: Client,
) -> None:
    conv = openai_client("acme").conversations.create()
    with pytest.raises(openai.NotFoundError):
        openai_client("acme-research").conversations.items.list(conv.id)


def test_thread_is_404_for_another_organization_with_the_real_message(
    openai_client: Client,
) -> None:
    thread = openai_client("personal").beta.threads.create()
    assert openai_client("personal").beta.threads.retrieve(thread.id).id == thread.id
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client("acme").beta.threads.retrieve(thread.id)
    assert caught.value.message.endswith(f"No thread found with id '{thread.id}'.")


def test_response_and_assistant_are_tenant_scoped(openai_client: Client) -> None:
    acme = openai_client("acme")
    response = acme.responses.create(model="gpt-4o-mini", input="hi")
    assistant = acme.beta.assistants.create(model="gpt-4o-mini")
    personal = openai_client("personal")
    with pytest.raises(openai.NotFoundError):
        personal.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        personal.beta.assistants.retrieve(assistant.id)


def test_user_key_switches_organization_with_the_header(
    sandbox: Sandbox, openai_client: Client
) -> None:
    personal_conv = sandbox.seed_conversation(PERSONAL_KEY, title="mine")
    acme_conv = sandbox.seed_conversation(ACME_KEY, title="work")
    as_acme = openai_client("user")
    as_personal = openai_client("user", organization=PERSONAL_ORG_ID)
    assert as_acme.conversations.retrieve(acme_conv).metadata == {"title": "work"}
    with pytest.raises(openai.NotFoundError):
        as_acme.conversations.retrieve(personal_conv)
    assert as_personal.conversations.retrieve(personal_conv).id == personal_conv
    raw = as_personal.conversations.with_raw_response.retrieve(personal_conv)
    assert raw.headers["openai-organization"] == "personal"
    assert raw.headers["openai-project"] == PERSONAL_PROJECT_ID


def test_objects_made_by_a_user_key_belong_to_the_chosen_project(
    sandbox: Sandbox, openai_client: Client
) -> None:
    conv = openai_client("user", organization="acme-corp").conversations.create()
    assert openai_client("acme").conversations.retrieve(conv.id).id == conv.id


def test_unknown_key_is_401_with_the_key_masked(openai_client: Client) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        openai_client("sk-sandbox-unknown-key-9876").models.list()
    error = caught.value
    assert error.status_code == 401 and error.code == "invalid_api_key"
    assert error.body == {
        "message": "Incorrect API key provided: sk-…9876. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error", "param": None, "code": "invalid_api_key",
    }
    assert "unknown-key" not in str(error)


def test_project_key_with_foreign_organization_header_is_401_over_http(
    openai_client: Client,
) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        openai_client("acme", organization=PERSONAL_ORG_ID).models.list()
    assert caught.value.code == "mismatched_organization"


def test_missing_key_is_401(sandbox: Sandbox) -> None:
    response = request(sandbox, "GET", "/v1/models", None)
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("You didn't provide an API key.")
    assert response.headers["x-request-id"].startswith("req_")
