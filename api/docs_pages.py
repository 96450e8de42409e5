"""The pages a person reads, served with no network: Swagger UI (`/docs`), ReDoc (`/redoc`) and the rules
reference (`/reference/…`, the files of docs/).

The hotline's machines have no internet, so FastAPI's default pages (scripts from a CDN) would be blank.
Swagger UI's and ReDoc's files come from the `fastapi-offline` package (MIT; it ships swagger-ui-dist and
redoc's standalone bundle) and are served here, the way FastAPI documents self-hosting them
("Custom Docs UI Static Assets"): `get_swagger_ui_html` / `get_redoc_html` with our own URLs.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs-assets"
# The project's own reference: the regulation's text, the rule digest, reasons and error codes.
REFERENCE = Path(__file__).resolve().parents[1] / "docs"
REFERENCE_URL = "/reference"


def _reference_files() -> dict[str, Path]:
    if not REFERENCE.is_dir():
        return {}
    return {p.name: p for p in sorted(REFERENCE.iterdir()) if p.is_file() and not p.name.startswith(".")}


def install(app: FastAPI) -> None:
    """On an app created with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    oauth2_redirect = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{oauth2_redirect}",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    @app.get(REFERENCE_URL, include_in_schema=False)
    async def reference_index() -> PlainTextResponse:
        lines = [f"{REFERENCE_URL}/{name}" for name in _reference_files()]
        return PlainTextResponse("The hotline's rules reference:\n\n" + "\n".join(lines) + "\n")

    @app.get(REFERENCE_URL + "/{name}", include_in_schema=False)
    async def reference_page(name: str) -> PlainTextResponse:
        # Only a file docs/ holds, by its exact name: nothing else on disk can be reached.
        path = _reference_files().get(name)
        if path is None:
            raise HTTPException(404, f"no reference page {name}")
        return PlainTextResponse(path.read_text(encoding="utf-8"))
