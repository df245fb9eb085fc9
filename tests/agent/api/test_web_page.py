"""The clinician workspace page in a real headless chromium against a real ``clinagent serve``.

The server runs as a subprocess on a free 127.0.0.1 port with a temporary database and a
minted API key; P001's demo notes are ingested through ``POST /v1/notes``
(``evals.web_demo``, shared with ``python -m evals.screenshots``). The page is used as a
clinician would: enter the key, pick the patient, request the handoff (a background job
here, so the polling path runs), walk through the views, print, ask questions.
"""

from __future__ import annotations

import io
import re

import pytest

from evals.web_demo import (
    AXE_FILE,
    AXE_INSTALL,
    LATER_NOTE,
    TABLET,
    WebPage,
    demo_server,
    has_browser,
    headless_chromium,
)

PATIENT = "P001"
PATIENT_NAME = "Pursglove"
VERDICT_WORDS = re.compile(r"^(matches the notes|not found in the notes|not checked: no "
                           r"clinical fact in it|not checked by the verifier|contradicted by "
                           r"the notes(: [a-z][^_]*)?)$")
RAW_CODES = re.compile(r"\b(SUPPORTED|UNSUPPORTED|NOT_CHECKABLE|CONTRADICTED)\b|\(s\)|_")
VIEWS = ("handoff", "medrec", "timeline", "notes", "labs", "history", "chat")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.process,
    pytest.mark.skipif(not has_browser(), reason="needs Debian's chromium and chromium-driver "
                       "(/usr/bin/chromium, /usr/bin/chromedriver)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("web"), PATIENT) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    pytest.importorskip("selenium.webdriver")
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


@pytest.fixture(scope="module")
def page(server, browser) -> WebPage:
    """The page with P001 chosen and its handoff built once for the module."""
    web = WebPage(browser, server)
    web.open()
    web.request_handoff()
    return web


def _visible_text(page: WebPage, element_id: str) -> str:
    return page.driver.execute_script(f"return document.getElementById('{element_id}')"
                                      ".innerText")


def _assert_cited_mark(page: WebPage, mark, node) -> None:
    """The highlighted text is exactly the cited span of the note ``node`` names."""
    note_id = node.get_attribute("data-note-id")
    start, end = int(node.get_attribute("data-start")), int(node.get_attribute("data-end"))
    assert mark.get_attribute("textContent") == page.server.notes[note_id]["text"][start:end]
    assert mark.is_displayed()


def _open_chip(page: WebPage, container):
    """Open the first citation chip under ``container``; returns (chip, its highlight)."""
    chip = page.css("details.citation", container)[0]
    chip.find_element("tag name", "summary").click()
    mark = page.wait(lambda d: page.css("mark.cited", chip), 30, "the cited passage")[0]
    _assert_cited_mark(page, mark, chip)
    return chip, mark


def _view_content(page: WebPage, view: str, selector: str, what: str) -> list:
    """The view's elements matching ``selector`` once loaded; xfail while its route is missing
    (the page then says "not available on this server yet")."""
    found = page.wait(lambda d: page.css(selector) or page.css(f"#view-{view} .view-error"),
                      60, what)
    if "view-error" in (found[0].get_attribute("class") or ""):
        if "not available on this server yet" in found[0].text:
            pytest.xfail(f"route of the {view} view not in this build yet: {found[0].text}")
        raise AssertionError(found[0].text)
    return found


def _in_viewport(page: WebPage, element) -> bool:
    return page.driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "const box = arguments[0].closest('.note-text').getBoundingClientRect();"
        "return r.top >= box.top - 1 && r.bottom <= box.bottom + 1"
        " && r.top >= 0 && r.bottom <= window.innerHeight;", element)


def test_when_handoff_is_built_then_statements_read_in_words_with_named_citations(page):
    statements = page.css("li.statement")
    assert len(statements) >= 5
    titles = [s.text for s in page.css("section.ipass-section h3")]
    assert titles[:3] == ["Illness severity", "Patient summary", "Active problems"]
    badges = [b.text for b in page.css("li.statement .verdict")]
    assert len(badges) == len(statements)
    assert all(VERDICT_WORDS.match(b) for b in badges), badges
    assert "matches the notes" in badges
    counts = page.driver.find_element("id", "handoff-counts").text
    assert re.search(r"(\d+ statements? needs? review|no statement needs review)", counts)
    # The flag is coloured by verdict (not only text).
    supported = page.css(".verdict-SUPPORTED")[0]
    assert supported.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "")
    # No raw verdict code, snake_case or "fact(s)" anywhere the clinician reads.
    for element_id in ("patient-banner", "view-handoff", "legend"):
        text = _visible_text(page, element_id)
        assert not RAW_CODES.search(text), (element_id, RAW_CODES.search(text))
    legend = _visible_text(page, "legend")
    assert "matches the notes" in legend and "not a clinical verification" in legend

    chips = [c.text for c in page.css("li.statement details.citation summary")]
    assert chips and not any(re.search(r"P001-\d+|\[\d+-\d+\]", c) for c in chips), chips
    assert "Discharge summary, 3/18" in " ".join(chips)
    cited = next(s for s in statements if page.css("details.citation", s))
    chip, _ = _open_chip(page, cited)
    chip.find_element("css selector", "button.open-note").click()
    reader_mark = page.wait_css("#note-reader mark.cited", 15)[0]
    _assert_cited_mark(page, reader_mark, chip)
    assert page.driver.find_element("id", "view-notes").is_displayed()


def test_when_any_view_is_shown_then_the_patient_banner_is_on_top(page):
    for view in VIEWS:
        page.tab(view)
        banner = page.driver.find_element("id", "patient-banner")
        assert banner.is_displayed(), view
        assert PATIENT_NAME in banner.text and "00482913" in banner.text, banner.text
    fields = _visible_text(page, "banner-fields")
    assert "DOB" in fields and "Attending" in fields
    option = page.driver.find_element("css selector", f"#patient-select option[value='{PATIENT}']")
    assert PATIENT_NAME in option.text and "00482913" in option.text


def test_when_tabs_get_arrow_keys_then_focus_and_view_move(page):
    from selenium.webdriver.common.keys import Keys

    handoff = page.tab("handoff")
    page.driver.find_element("id", "tab-handoff").send_keys(Keys.ARROW_RIGHT)
    assert page.driver.switch_to.active_element.get_attribute("id") == "tab-medrec"
    assert page.driver.find_element("id", "view-medrec").is_displayed()
    assert not handoff.is_displayed()
    page.driver.switch_to.active_element.send_keys(Keys.END)
    assert page.driver.find_element("id", "view-chat").is_displayed()


def test_when_medications_view_opens_then_reconciliation_cells_cite_passages(page):
    view = page.tab("medrec")
    rows = _view_content(page, "medrec", "#medrec table tbody tr", "the med-rec rows")
    assert len(rows) >= 3
    headers = [h.text for h in page.css("#medrec thead th")]
    assert headers[:4] == ["Drug", "Home", "Inpatient", "Discharge"]
    drugs = [r.get_attribute("data-drug") for r in rows]
    assert "furosemide" in drugs, drugs
    furosemide = rows[drugs.index("furosemide")]
    assert page.css("details.citation", furosemide)
    _open_chip(page, furosemide)
    assert not RAW_CODES.search(_visible_text(page, "medrec").replace("->", ""))
    assert view.is_displayed()


def test_when_timeline_event_link_is_followed_then_note_opens_at_the_span(page):
    page.tab("timeline")
    days = _view_content(page, "timeline", "#timeline .timeline-day", "the timeline")
    assert days[0].get_attribute("data-date") <= days[-1].get_attribute("data-date")
    link = next(b for b in page.css("#timeline button.event-link")
                if b.get_attribute("data-start"))
    link.click()
    mark = page.wait_css("#note-reader mark.cited", 15)[0]
    _assert_cited_mark(page, mark, link)
    assert _in_viewport(page, mark)
    current = page.css("#note-list button[aria-current=true]")
    assert current and current[0].get_attribute("data-note-id") == link.get_attribute(
        "data-note-id")


def test_when_notes_are_searched_then_hits_are_highlighted_and_open_the_note(page):
    page.tab("notes")
    notes = page.wait_css("#note-list button.note-item", 30, "the note list")
    assert len(notes) == len(page.server.notes)
    assert any("Discharge summary" in n.text for n in notes)
    query = page.driver.find_element("id", "search-query")
    query.clear()
    query.send_keys("furosemide")
    page.driver.find_element("id", "search-send").click()
    hits = _view_content(page, "notes", "#search-results .hit-link", "the search hits")
    assert all(m.text.lower() == "furosemide" for m in page.css("#search-results mark.hit"))
    hits[-1].click()
    mark = page.wait_css("#note-reader mark.cited", 15)[0]
    _assert_cited_mark(page, mark, hits[-1])
    assert mark.text.lower() == "furosemide"
    assert _in_viewport(page, mark)


def test_when_labs_view_opens_then_values_by_date_with_trend_words(page):
    page.tab("labs")
    rows = _view_content(page, "labs", "#labs table tbody tr", "the lab rows")
    assert rows
    header = [h.text for h in page.css("#labs thead th")]
    assert header[:3] == ["Test", "Unit", "Trend"] and len(header) > 3
    trends = [t.text for t in page.css("#labs td.trend")]
    assert all(re.search(r"rising|falling|steady|one value", t) for t in trends), trends
    value = page.css("#labs td.lab-values details.citation")[0]
    value.find_element("tag name", "summary").click()
    mark = page.wait(lambda d: page.css("mark.cited", value), 20, "the lab passage")[0]
    _assert_cited_mark(page, mark, value)


def test_when_handoff_is_printed_then_at_most_two_pages_each_with_the_banner(page):
    from pypdf import PdfReader

    page.tab("handoff")
    assert page.driver.find_element("id", "print-page").text == "Print / save as PDF"
    reader = PdfReader(io.BytesIO(page.print_pdf()))
    assert 1 <= len(reader.pages) <= 2, len(reader.pages)
    texts = [p.extract_text() for p in reader.pages]
    for number, text in enumerate(texts, 1):
        assert PATIENT_NAME in text and "00482913" in text, (number, text[:300])
    whole = "\n".join(texts)
    assert "API key" not in whole and "Ask about this patient" not in whole
    assert "Request handoff" not in whole and "Illness severity" in whole


def test_when_chat_streams_then_sentences_arrive_with_verdict_words(page):
    page.tab("chat")
    block = page.ask("What is the furosemide dose?")
    assert block.get_attribute("data-transport") == "stream"
    events = block.get_attribute("data-events").split(",")
    assert events[0] == "passages" and events[-1] == "done" and "sentence" in events, events
    sentences = page.css("li.answer-sentence", block)
    assert any("furosemide" in s.text.lower() for s in sentences)
    answered = next(s for s in sentences if page.css("details.citation", s))
    assert VERDICT_WORDS.match(answered.find_element("css selector", ".verdict").text)
    _open_chip(page, answered)
    assert not RAW_CODES.search(block.find_element("css selector", "ul.answer").text)


def test_when_notes_do_not_say_then_chat_answers_plainly_without_a_badge(page):
    page.tab("chat")
    block = page.ask("What did the colonoscopy in 2019 show?")
    if block.get_attribute("data-no-answer") != "true":
        pytest.xfail("the chat backend does not mark this answer no_answer (issue 16, H2)")
    plain = block.find_element("css selector", ".no-answer").text
    assert plain.startswith("The notes do not say")
    assert not page.css(".verdict", block)


def test_when_views_are_checked_by_axe_then_no_serious_or_critical_violation(page):
    if not AXE_FILE.exists():
        pytest.skip(f"axe-core is not installed: {AXE_INSTALL}")
    found = {}
    for view in VIEWS:
        page.tab(view)
        violations = page.axe_violations()
        if violations:
            found[view] = violations
    assert not found, found


def test_when_window_is_tablet_wide_then_no_view_scrolls_sideways(page):
    size = page.driver.get_window_size()
    page.driver.set_window_size(*TABLET)
    try:
        for view in VIEWS:
            page.tab(view)
            overflow = page.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement"
                ".clientWidth")
            assert overflow <= 0, (view, overflow)
    finally:
        page.driver.set_window_size(size["width"], size["height"])


def test_when_a_second_handoff_exists_then_history_reopens_compares_and_acknowledges(page):
    page.server.ingest([LATER_NOTE])
    page.request_handoff()
    page.tab("history")
    items = _view_content(page, "history", "#history li.history-item", "the handoff history")
    assert len(items) >= 2
    newest, older = items[0], items[1]
    newest.find_element("css selector", "button.show-changes").click()
    changes = _view_content(page, "history", "#changes .change-section", "the changes")
    text = _visible_text(page, "changes")
    assert "since handoff" in text and "_" not in text
    assert changes

    newest.find_element("css selector", "button.acknowledge").click()
    status = page.wait(lambda d: "Acknowledged by" in newest.text and newest, 30,
                       "the acknowledgement")
    assert re.search(r"Acknowledged by demo-clinician at \d{4}-\d\d-\d\d", status.text)

    older_id = older.get_attribute("data-summary-id")
    older.find_element("css selector", "button.open-handoff").click()
    page.wait(lambda d: f"stored handoff {older_id}" in d.find_element("id", "handoff-meta")
              .text, 30, "the reopened handoff")
    assert page.driver.find_element("id", "view-handoff").is_displayed()
    assert page.css("li.statement")


def test_when_key_is_forgotten_then_storage_and_page_are_cleared(page):
    page.driver.find_element("id", "forget-key").click()
    assert page.driver.execute_script("return sessionStorage.length") == 0
    assert page.driver.find_element("id", "api-key").get_attribute("value") == ""
    assert not page.driver.find_element("id", "patient-banner").is_displayed()
    assert page.driver.find_element("id", "patient-select").get_attribute("disabled")
    assert page.driver.find_element("id", "handoff").text == ""
    assert "Key forgotten" in page.driver.find_element("id", "status").text


def test_when_key_is_wrong_then_page_says_so_and_lists_no_patient(server, browser):
    driver = browser
    driver.get(server.base + "/")
    driver.execute_script("sessionStorage.clear()")
    driver.refresh()
    field = driver.find_element("id", "api-key")
    field.clear()
    field.send_keys("ck_wrong_key")
    driver.find_element("id", "save-key").click()
    status = WebPage(driver, server).wait(lambda d: "Could not list patients" in d.find_element(
        "id", "status").text and d.find_element("id", "status"), 30, "the error")
    assert "401" in status.text
    assert driver.find_element("id", "patient-select").get_attribute("disabled")


def test_when_text_holds_markup_then_page_shows_it_as_text(server, browser):
    driver = browser
    driver.get(server.base + "/")
    hostile = '<img src=x onerror="window.__injected=1">furosemide'
    driver.execute_script(
        "renderAnswer(arguments[0], {patient_id: 'P001', mode: 'extractive', passages: [],"
        " flags: [arguments[0]], sentences: [{text: arguments[0], citations: [],"
        " verification: {verdict: 'UNSUPPORTED', reasons: [], detail: arguments[0]}}]})",
        hostile)
    answer = driver.find_element("id", "chat-answer")
    assert answer.find_elements("tag name", "img") == []
    assert hostile in answer.get_attribute("textContent")
    assert driver.execute_script("return window.__injected === undefined")


def test_when_handoff_was_built_from_partial_input_then_page_opens_with_the_banner(
        server, browser):
    driver = browser
    driver.get(server.base + "/")
    summary = {"patient_id": PATIENT, "mode": "extractive", "generated_at": "2026-03-14T09:30",
               "note_ids": ["P001-01"], "statements": [], "omissions": [], "flags": [],
               "provenance": {"producer": "clinagent", "package_version": "0"},
               "input_issues": [{"source": "notes.jsonl", "line": 2, "field": None,
                                 "problem": "malformed JSON (<b>x</b>)", "patient_id": None}]}
    driver.execute_script("renderHandoff(arguments[0])", summary)
    banner = driver.find_element("id", "input-issues")
    assert banner.is_displayed()
    assert "PARTIAL INPUT" in banner.text and "1 input line(s)" in banner.text
    assert "notes.jsonl line 2: malformed JSON (<b>x</b>)" in banner.text  # text, not markup
    summary["input_issues"] = []
    driver.execute_script("renderHandoff(arguments[0])", summary)
    assert not driver.find_element("id", "input-issues").is_displayed()
