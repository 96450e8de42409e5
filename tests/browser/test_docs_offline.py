"""`/docs` and `/redoc` render in a browser with no internet (the hotline's machines have none): their
scripts and styles come from the app itself (api/docs_pages.py), and every operation is listed."""

from __future__ import annotations

from api.app import create_app
from config import Settings
from tests.browser.support import offline_page, served

# The page is ready when the operations are drawn; a broken page never gets there.
SECONDS = 60_000
# ReDoc's "powered by" logo is an image from its CDN, which hides itself when it cannot load (onError):
# decoration, not content. Anything else fetched from outside would be a page that needs the internet.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


async def test_swagger_ui_lists_the_operations_offline() -> None:
    app = create_app(Settings(environment="test"))
    operations = sum(len(ops) for ops in app.openapi()["paths"].values())
    async with served(app) as base, offline_page() as offline:
        page = offline.page
        await page.goto(f"{base}/docs")
        await page.wait_for_selector(".opblock-summary", timeout=SECONDS)
        assert await page.locator(".opblock").count() == operations
        assert await page.get_by_text("Register a ticket (operator, county office, integrator)").count() == 1
        # The description's links to the rules reference are drawn, and lead to pages the app serves.
        link = page.locator('a[href="/reference/errors.md"]').first
        assert await link.count() == 1
        await page.goto(f"{base}/reference/errors.md")
        assert "STAGE_FORBIDS_ACTION" in await page.content()
    assert offline.blocked == []


async def test_redoc_renders_the_operations_offline() -> None:
    app = create_app(Settings(environment="test"))
    async with served(app) as base, offline_page() as offline:
        page = offline.page
        await page.goto(f"{base}/redoc")
        await page.wait_for_selector(
            "h2:has-text('Register a ticket (operator, county office, integrator)')", timeout=SECONDS
        )
        assert await page.get_by_text("12345 hotline tickets", exact=False).count() >= 1
        assert await page.locator(f'img[src="{REDOC_LOGO}"]').count() == 0
    assert set(offline.blocked) <= {REDOC_LOGO}
