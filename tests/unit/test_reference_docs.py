"""docs/ stays complete: every error code the code base can answer, and every reason a request is not accepted
(domain/vocabulary.py NotAcceptedReason), is explained in docs/errors.md; the regulation's text and the
digest are there; the app serves them under /reference for a browser with no network.

The codes are collected from the source itself (every string given as the code of `invalid`, `conflict`,
`ApiError`, `RuleViolation`, `UnitError`, `error_response` or `ApplicationError(type=...)`, and every code
constant in api/errors.py), so a new code without its line in docs/errors.md fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from config import Settings
from domain.vocabulary import NotAcceptedReason

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SOURCES = ("api", "domain", "workflows", "activities", "operations", "db")
MAKERS = {
    "invalid",
    "conflict",
    "ApiError",
    "RuleViolation",
    "UnitError",
    "error_response",
    "ApplicationError",
}
CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
# Strings shaped like codes that are no error code.
NOT_CODES = {"KEYWORD", "KEYWORD_LIST", "DATETIME", "GD12345", "HOTLINE_"}


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _codes_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }

    def value(arg: ast.expr) -> object:
        if isinstance(arg, ast.Constant):
            return arg.value
        return constants.get(arg.id) if isinstance(arg, ast.Name) else None

    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in MAKERS:
            for arg in [*node.args, *(k.value for k in node.keywords if k.arg in ("type", "code"))]:
                text = value(arg)
                if isinstance(text, str) and CODE.match(text) and len(text) > 3:
                    found.add(text)
    if path == ROOT / "api" / "errors.py":  # the codes api/errors.py answers itself, in tables and constants
        found |= {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and CODE.match(n.value)
            and len(n.value) > 3
        }
    return found - NOT_CODES


def error_codes() -> set[str]:
    return {
        code
        for folder in SOURCES
        for path in sorted((ROOT / folder).rglob("*.py"))
        for code in _codes_in(path)
    }


def test_the_collector_finds_the_codes_of_every_layer() -> None:
    """A collector that found nothing would make the next test pass for nothing."""
    codes = error_codes()
    assert {
        "TICKET_NOT_FOUND",  # api/errors.py
        "EXTENSION_ALREADY_USED",  # domain/verdicts.py
        "STAGE_FORBIDS_ACTION",  # domain/verdicts.py, across lines
        "UNKNOWN_RULE_SET",  # activities/hotline.py, ApplicationError(type=a constant)
        "UNIT_EXISTS",  # operations/credentials.py
        "NOT_YOUR_UNIT",  # api/routes
        "UNAUTHENTICATED",
        "METHOD_NOT_ALLOWED",
    } <= codes
    assert len(codes) > 80


def test_every_error_code_is_explained_in_docs() -> None:
    page = (DOCS / "errors.md").read_text(encoding="utf-8")
    missing = sorted(code for code in error_codes() if f"`{code}`" not in page)
    assert not missing, f"docs/errors.md does not explain: {missing}"


def test_every_not_accepted_reason_is_explained_in_docs() -> None:
    page = (DOCS / "errors.md").read_text(encoding="utf-8")
    missing = [reason.value for reason in NotAcceptedReason if f"`{reason.value}`" not in page]
    assert not missing, f"docs/errors.md does not explain the reasons {missing}"


def test_the_regulation_and_its_digest_are_in_docs() -> None:
    text = (DOCS / "shaoguan-12345-rules.zh.txt").read_text(encoding="utf-8")
    assert "韶关市 12345 政务服务便民热线" in text and "第二十二条" in text
    digest = (DOCS / "rules.md").read_text(encoding="utf-8")
    for rule in ("A10.1", "A14.5", "A17.3", "A22", "A24", "A33"):
        assert f"{rule}" in digest, rule


@pytest.fixture
async def http() -> httpx.AsyncClient:
    # The reference pages need neither Temporal nor the database: no lifespan.
    app = create_app(Settings(environment="test"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline.test") as c:
        yield c


async def test_the_app_serves_the_reference_and_the_api_description_links_it(http: httpx.AsyncClient) -> None:
    description = (await http.get("/openapi.json")).json()["info"]["description"]
    links = set(re.findall(r"\]\((/reference/[^)]+)\)", description))
    assert {"/reference/rules.md", "/reference/errors.md", "/reference/shaoguan-12345-rules.zh.txt"} <= links
    for link in links:
        page = await http.get(link)
        assert page.status_code == 200, link
        assert page.headers["content-type"].startswith("text/plain; charset=utf-8")
        assert page.text == (DOCS / link.removeprefix("/reference/")).read_text(encoding="utf-8")
    index = await http.get("/reference")
    assert index.status_code == 200 and "/reference/errors.md" in index.text


@pytest.mark.parametrize("name", ["../pyproject.toml", "..%2Fpyproject.toml", "nothing.md", ".hidden"])
async def test_the_reference_serves_only_what_docs_holds(http: httpx.AsyncClient, name: str) -> None:
    response = await http.get(f"/reference/{name}")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
