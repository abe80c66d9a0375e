"""What the browser tests do as an applicant would, in Chromium through Playwright."""

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.support.forms import PDF_BYTES

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page: Page) -> list[str]:
    """What axe-core finds against WCAG 2.2 AA and its best practices, one line each."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
        for v in results.response["violations"]
    ]


def send_enquiry_with_cv(
    page: Page,
    site: str,
    tmp_path: Path,
    language: str = "en",
    cv: bytes = PDF_BYTES,
    position: str = "general",
) -> None:
    """Fill in the form at `site` in `language` about `position`, choose `cv` and send it."""
    cv_file = tmp_path / "Lebenslauf Ada.pdf"
    cv_file.write_bytes(cv)
    prefix = "" if language == "en" else f"/{language}"
    page.goto(f"{site}{prefix}/enquiry?position={position}")
    page.locator("#name").fill("Ada Lovelace")
    page.locator("#email").fill("ada@example.org")
    page.locator("#message").fill("A question about the open positions, for the private page.")
    page.locator("#cv").set_input_files(str(cv_file))
    page.locator("#consent").check()
    with page.expect_navigation():
        page.locator("button.button[type=submit]").click()
