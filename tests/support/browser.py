"""What the browser tests do as an applicant would, in Chromium through Playwright."""

from pathlib import Path
from typing import Any

from tests.support.forms import PDF_BYTES


def send_enquiry_with_cv(
    page: Any,
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
