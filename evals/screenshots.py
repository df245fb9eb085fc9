"""Screenshots of the clinician workspace on the synthetic demo patient.

``python -m evals.screenshots --out evals/screenshots`` starts ``clinagent serve`` on a
temporary database with P001's demo notes (``evals.web_demo``, the setup the browser test
uses), walks through every view in headless chromium at 1280x900 (the medication table also
at a tablet's 820x1180) and writes one PNG per view plus the printed handoff as PDF; the
Coding view last (a note coded and submitted, then the dashboard).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from evals.web_demo import (
    DESKTOP,
    LATER_NOTE,
    TABLET,
    WebPage,
    demo_server,
    headless_chromium,
)

logger = logging.getLogger(__name__)

def _scroll_to(page: WebPage, element_id: str) -> None:
    page.driver.execute_script(
        f"document.getElementById('{element_id}').scrollIntoView({{block: 'start'}})")


def capture(page: WebPage, out: Path) -> list[Path]:
    """Walk the views of the open page and write the screenshots; returns the files."""
    written: list[Path] = []

    def shot(name: str) -> None:
        path = out / name
        page.screenshot(path)
        written.append(path)

    page.request_handoff()
    _scroll_to(page, "patient-banner")
    shot("01-banner-handoff.png")
    chip = page.css("li.statement details.citation summary")[0]
    chip.click()
    page.wait_css("li.statement mark.cited", 30)
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", chip)
    shot("02-handoff-citation-open.png")
    pdf = out / "09-print-handoff.pdf"
    chip.click()
    pdf.write_bytes(page.print_pdf())
    written.append(pdf)

    page.tab("medrec")
    page.wait_css("#medrec table tbody tr", 60, "the med-rec table")
    _scroll_to(page, "patient-banner")
    shot("03-medications.png")
    page.driver.set_window_size(*TABLET)
    _scroll_to(page, "patient-banner")
    shot("03-medications-tablet.png")
    page.driver.set_window_size(*DESKTOP)

    page.tab("timeline")
    page.wait_css("#timeline .timeline-day", 60, "the timeline")
    _scroll_to(page, "patient-banner")
    shot("04-timeline.png")

    page.tab("notes")
    query = page.driver.find_element("id", "search-query")
    query.send_keys("furosemide")
    page.driver.find_element("id", "search-send").click()
    hits = page.wait_css("#search-results .hit-link", 30, "the search hits")
    hits[min(2, len(hits) - 1)].click()
    page.wait_css("#note-reader mark.cited", 15)
    _scroll_to(page, "view-notes")
    shot("05-notes-search.png")

    page.tab("labs")
    page.wait_css("#labs table tbody tr", 60, "the labs table")
    _scroll_to(page, "patient-banner")
    shot("06-labs.png")

    page.server.ingest([LATER_NOTE])
    page.request_handoff()
    page.tab("history")
    items = page.wait_css("#history li.history-item", 30, "the handoff history")
    items[0].find_element("css selector", "button.acknowledge").click()
    page.wait(lambda d: "Acknowledged by" in items[0].text, 30, "the acknowledgement")
    items[0].find_element("css selector", "button.show-changes").click()
    page.wait_css("#changes .change-section", 60, "the changes")
    _scroll_to(page, "patient-banner")
    shot("07-history.png")
    _scroll_to(page, "changes")
    shot("07-history-changes.png")

    page.tab("chat")
    page.ask("What is the furosemide dose?")
    _scroll_to(page, "patient-banner")
    shot("08-chat-answer.png")

    _scroll_to(page, "legend")
    shot("10-legend.png")

    capture_coding(page, shot)
    return written


def capture_coding(page: WebPage, shot: Callable[[str], None]) -> None:
    """The Coding view: a queue note with its suggestions, one accepted and one opened in
    the note text; the code search; the dashboard after the note is submitted."""
    from selenium.webdriver.common.action_chains import ActionChains

    page.tab("coding")
    page.wait_css("#coding-queue button.note-item", 120, "the review queue")[0].click()
    items = page.wait_css("#coding-suggestions li.code-item", 120, "the suggestions")
    items[0].find_element("css selector", "button.action-accept").click()
    page.wait_css("#coding-suggestions li.code-item[data-decision=accept]", 15)
    ActionChains(page.driver).send_keys("j").perform()
    page.wait_css("#coding-text mark.cited", 15, "the highlighted evidence")
    _scroll_to(page, "view-coding")
    shot("11-coding.png")
    ActionChains(page.driver).send_keys("n").perform()
    page.driver.find_element("id", "coding-search-q").send_keys("heart failure")
    page.driver.find_element("id", "coding-search-send").click()
    page.wait_css("#coding-search-results button.code-result", 60, "the code search")
    _scroll_to(page, "coding-search")
    shot("11-coding-search.png")
    page.css("#coding-search-results button.code-result:enabled")[0].click()
    page.wait(lambda d: not d.find_element("id", "coding-search").is_displayed(), 15,
              "the code search to close")
    ActionChains(page.driver).send_keys("x").send_keys("S").perform()
    page.wait(lambda d: "Stored" in d.find_element("id", "coding-status").text, 60,
              "the stored decisions")
    page.wait_css("#coding-trend table tbody tr", 60, "the dashboard")
    _scroll_to(page, "coding-dashboard")
    shot("12-coding-dashboard.png")


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m evals.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("evals/screenshots"),
                        help="folder for the PNGs and the PDF (default evals/screenshots)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="clinagent-shots-") as tmp:
        folder = Path(tmp)
        (folder / "server").mkdir()
        with demo_server(folder / "server", LATER_NOTE["patient_id"]) as server, \
                headless_chromium(folder / "profile", DESKTOP) as driver:
            page = WebPage(driver, server)
            page.open()
            files = capture(page, args.out.resolve())
    for path in files:
        logger.info("wrote %s", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
