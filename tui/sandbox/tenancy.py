"""Who is calling: API keys → organization and project, as the real API resolves them.

Every object the sandbox stores is owned by the (organization, project) that created it, and
is invisible (404) to any other. Project keys are bound to one project; legacy user keys reach
every organization the user belongs to and pick one per request with the
``OpenAI-Organization`` / ``OpenAI-Project`` headers.

Header mismatches answer 401, as the real API does for a project key whose
``OpenAI-Organization`` header names another organization (``mismatched_organization``, observed
in real responses). The project counterpart (``mismatched_project``) and the user-key cases
(``invalid_organization`` / ``invalid_project``) are not documented; the sandbox answers them
the same way (401, ``invalid_request_error``) so a client handles all of them in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.secrets import mask_key

from .errors import ApiError

# The fake keys of the default tenancy. Each stays under 32 characters after ``sk-`` so that
# nothing mistakes it for a real key, and each ends in a distinct tail so masks differ.
ACME_KEY = "sk-proj-sandbox-acme-0000acme"
ACME_RESEARCH_KEY = "sk-proj-sandbox-acme-0000rsch"
PERSONAL_KEY = "sk-proj-sandbox-personal-pers"
USER_KEY = "sk-sandbox-user-00000000user"

ACME_ORG_ID = "org-sandboxacmecorp"
PERSONAL_ORG_ID = "org-sandboxpersonal"
ACME_PROJECT_ID = "proj_sandboxacmedefault"
ACME_RESEARCH_PROJECT_ID = "proj_sandboxacmeresearch"
PERSONAL_PROJECT_ID = "proj_sandboxpersonal"


@dataclass(frozen=True)
class Project:
    """A project inside an organization; ``id`` is the ``proj_…`` the API reports."""

    id: str
    name: str


@dataclass(frozen=True)
class Organization:
    """An organization: ``slug`` is what the ``openai-organization`` header carries."""

    id: str
    slug: str
    name: str
    projects: tuple[Project, ...]

    @property
    def default_project(self) -> Project:
        """The project a request lands in when nothing else chooses one."""
        return self.projects[0]

    def project(self, project_id: str) -> Project | None:
        """The project with this id, if it belongs to this organization."""
        return next((p for p in self.projects if p.id == project_id), None)


@dataclass(frozen=True)
class ApiKey:
    """A key: a project key names its one project; a user key names only organizations.

    ``organizations`` holds organization ids; for a user key the first is its default.
    """

    key: str
    organizations: tuple[str, ...]
    project: str | None = None
    label: str = ""

    @property
    def kind(self) -> str:
        """``project`` or ``user``."""
        return "project" if self.project else "user"


@dataclass(frozen=True)
class Owner:
    """The (organization id, project id) pair every stored object belongs to."""

    organization: str
    project: str


@dataclass(frozen=True)
class Scope:
    """The resolved caller of one request."""

    key: ApiKey
    organization: Organization
    project: Project

    @property
    def owner(self) -> Owner:
        """Ownership tag for objects this caller creates or may see."""
        return Owner(self.organization.id, self.project.id)


def invalid_key(key: str) -> ApiError:
    """The real 401 for a key the API does not know, with the key masked."""
    return ApiError(
        401,
        f"Incorrect API key provided: {mask_key(key)}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        code="invalid_api_key",
    )


def missing_key() -> ApiError:
    """The real 401 for a request with no bearer token at all."""
    return ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API "
        "key from https://platform.openai.com/account/api-keys.",
        code=None,
    )


class Tenancy:
    """The table of organizations and keys, and the per-request resolution."""

    def __init__(self, organizations: list[Organization], keys: list[ApiKey]) -> None:
        self.organizations = {org.id: org for org in organizations}
        self.keys = {k.key: k for k in keys}
        for k in keys:
            for org_id in k.organizations:
                if org_id not in self.organizations:
                    raise ValueError(f"key {k.label or mask_key(k.key)} names unknown org {org_id}")
            if k.project and not self._org_of_project(k.project):
                raise ValueError(f"key {k.label or mask_key(k.key)} names unknown {k.project}")
            if k.project and len(k.organizations) != 1:
                raise ValueError("a project key belongs to exactly one organization")

    def _org_of_project(self, project_id: str) -> Organization | None:
        return next((o for o in self.organizations.values() if o.project(project_id)), None)

    def organization(self, ident: str) -> Organization | None:
        """Find an organization by ``org-…`` id or by slug."""
        if ident in self.organizations:
            return self.organizations[ident]
        return next((o for o in self.organizations.values() if o.slug == ident), None)

    def resolve(
        self, key: str, organization: str | None = None, project: str | None = None
    ) -> Scope:
        """Who a request with this key and these headers acts as, or the API's 401."""
        api_key = self.keys.get(key)
        if api_key is None:
            raise invalid_key(key)
        organization = organization or None
        project = project or None
        if api_key.project is not None:
            org = self.organizations[api_key.organizations[0]]
            proj = org.project(api_key.project)
            assert proj is not None  # checked in __init__
            if organization is not None and self.organization(organization) is not org:
                raise ApiError(
                    401,
                    "OpenAI-Organization header should match organization for API key",
                    code="mismatched_organization",
                )
            if project is not None and project != proj.id:
                raise ApiError(
                    401,
                    "OpenAI-Project header should match project for API key",
                    code="mismatched_project",
                )
            return Scope(api_key, org, proj)
        if organization is None:
            org = self.organizations[api_key.organizations[0]]
        else:
            found = self.organization(organization)
            if found is None or found.id not in api_key.organizations:
                raise ApiError(
                    401, f"No such organization: {organization}.", code="invalid_organization"
                )
            org = found
        if project is None:
            return Scope(api_key, org, org.default_project)
        proj_found = org.project(project)
        if proj_found is None:
            raise ApiError(
                401,
                f"No such project: {project} in organization {org.id}.",
                code="invalid_project",
            )
        return Scope(api_key, org, proj_found)

    def describe(self) -> list[dict[str, object]]:
        """Organizations, projects and masked keys, for ``/_sandbox/state`` and the CLI."""
        out: list[dict[str, object]] = []
        for org in self.organizations.values():
            keys = [
                {"key": mask_key(k.key), "kind": k.kind, "project": k.project, "label": k.label}
                for k in self.keys.values()
                if org.id in k.organizations
            ]
            out.append(
                {
                    "id": org.id,
                    "slug": org.slug,
                    "name": org.name,
                    "projects": [{"id": p.id, "name": p.name} for p in org.projects],
                    "keys": keys,
                }
            )
        return out


def default_tenancy() -> Tenancy:
    """Two organizations, ``acme-corp`` (two projects) and ``personal``, and four keys.

    - ``ACME_KEY``: project key, acme-corp / ``proj_sandboxacmedefault``
    - ``ACME_RESEARCH_KEY``: project key, acme-corp / ``proj_sandboxacmeresearch``
    - ``PERSONAL_KEY``: project key, personal / ``proj_sandboxpersonal``
    - ``USER_KEY``: legacy user key reaching both organizations (default acme-corp, its
      default project); pick with ``OpenAI-Organization`` / ``OpenAI-Project``.
    """
    acme = Organization(
        ACME_ORG_ID,
        "acme-corp",
        "Acme Corp",
        (
            Project(ACME_PROJECT_ID, "Default project"),
            Project(ACME_RESEARCH_PROJECT_ID, "Research"),
        ),
    )
    personal = Organization(
        PERSONAL_ORG_ID, "personal", "Personal", (Project(PERSONAL_PROJECT_ID, "Default project"),)
    )
    keys = [
        ApiKey(ACME_KEY, (acme.id,), ACME_PROJECT_ID, "acme"),
        ApiKey(ACME_RESEARCH_KEY, (acme.id,), ACME_RESEARCH_PROJECT_ID, "acme-research"),
        ApiKey(PERSONAL_KEY, (personal.id,), PERSONAL_PROJECT_ID, "personal"),
        ApiKey(USER_KEY, (acme.id, personal.id), None, "user"),
    ]
    return Tenancy([acme, personal], keys)


def demo_tenancy() -> Tenancy:
    """The tenancy ``threadtui --demo`` and ``python -m tui.sandbox`` use: the default one.

    A separate name so that the demo can diverge later without changing what tests rely on.
    """
    return default_tenancy()

# Key names the test fixtures accept, so tests say ``"acme"`` rather than repeating key strings.
KEYS_BY_NAME: dict[str, str] = {
    "acme": ACME_KEY,
    "acme-research": ACME_RESEARCH_KEY,
    "personal": PERSONAL_KEY,
    "user": USER_KEY,
}
