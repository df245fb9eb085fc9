"""The coder's page (the Coding view) in a real headless chromium against a real
``clinagent serve`` with demo patient P001 (``evals.web_demo``, the setup of
``test_web_page.py``).

A coder's key (``read`` for the note text, ``code`` for the coding routes) opens a note
from the review queue, accepts a suggestion, rejects one and replaces one with the
keyboard, replaces through the code search (by code) and adds a missed code (by words),
rejects the remaining alternatives and submits. The decisions and the review time are then
in the database and the dashboard's numbers moved; an admin retrains the ranker over HTTP
and a similar note (another note of P001 sharing the concepts) shows the learned ranking.
The tests run in order and share the module's page.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import subprocess
from contextlib import closing

import httpx
import pytest

from evals.web_demo import (
    AXE_FILE,
    AXE_INSTALL,
    TABLET,
    WebPage,
    clinagent_command,
    demo_server,
    has_browser,
    headless_chromium,
)

PATIENT = "P001"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.process,
    pytest.mark.skipif(not has_browser(), reason="needs Debian's chromium and chromium-driver "
                       "(/usr/bin/chromium, /usr/bin/chromedriver)"),
]


def _mint(server, scopes: str, patients: str, name: str) -> dict:
    """A key minted with the CLI on the server's database (SQLite in WAL: the running
    server sees it at once)."""
    made = subprocess.run([*clinagent_command(), "keys", "create", "--scope", scopes,
                           "--patient", patients, "--name", name, "--format", "json"],
                          cwd=server.log.parent, env=server.env, capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stderr[-2000:]
    return json.loads(made.stdout)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("coding-web"), PATIENT) as running:
        yield running


@pytest.fixture(scope="module")
def keys(server) -> dict:
    return {"coder": _mint(server, "read,code", PATIENT, "demo-coder"),
            "admin": _mint(server, "admin", "*", "demo-admin")}


@pytest.fixture(scope="module")
def http(server):
    def call(method: str, path: str, key: str, **kwargs) -> httpx.Response:
        return httpx.request(method, server.base + path, timeout=300,
                             headers={"Authorization": f"Bearer {key}"}, **kwargs)
    return call


@pytest.fixture(scope="module")
def plan(server, keys, http) -> dict:
    """Which notes to code: A (decided on the page) and B, the similar note (the P001 note
    sharing most of A's suggested codes for the same concepts), with B's list before."""
    key = keys["coder"]["key"]
    lists = {}
    for note_id in sorted(server.notes):
        r = http("GET", f"/v1/notes/{note_id}/codes", key)
        assert r.status_code == 200, r.text
        lists[note_id] = r.json()["suggestions"]

    def pairs(note_id):
        return {(s["mentions"][0]["concept"], s["code"]) for s in lists[note_id]
                if s["system"] == "ICD-10-CM" and s["rank_reasons"]["match_type"] != "combination"}

    a, b = max(((a, b) for a in lists for b in lists if a != b
                and any(s["route"] == "review" for s in lists[a])),
               key=lambda ab: (len(pairs(ab[0]) & pairs(ab[1])), ab))
    shared = pairs(a) & pairs(b)
    assert len(shared) >= 2, (a, b, shared)
    a_list = lists[a]
    # The rejected and the replaced suggestion: review-routed, of a concept B shares.
    picks = [i for i, s in enumerate(a_list) if i > 0 and s["route"] == "review"
             and (s["mentions"][0]["concept"], s["code"]) in shared
             and s["rank_reasons"]["match_type"] != "combination"]
    assert len(picks) >= 2, picks

    def concept(i):
        return a_list[i]["mentions"][0]["concept"]

    # Two concepts when A has them: the rejection and the replacement are learned apart.
    reject = picks[0]
    replace = ([i for i in picks[1:] if concept(i) != concept(reject)] or picks[1:])[0]
    return {"a": a, "b": b, "a_list": a_list, "b_before": lists[b], "reject": reject,
            "replace": replace}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    pytest.importorskip("selenium.webdriver")
    with headless_chromium(tmp_path_factory.mktemp("chromium-coding")) as driver:
        yield driver


@pytest.fixture(scope="module")
def page(server, keys, browser) -> WebPage:
    """The page opened with the coder's key, P001 chosen, the Coding view shown."""
    web = WebPage(browser, dataclasses.replace(server, key=keys["coder"]["key"]))
    web.open()
    web.tab("coding")
    return web


@pytest.fixture(scope="module")
def flow() -> dict:
    """What the tests hand on to the next (they run in file order)."""
    return {}


def _stats(page: WebPage) -> dict[str, str]:
    return {s.get_attribute("data-stat"): s.get_attribute("data-value")
            for s in page.css("#coding-stats .coding-stat")}


def _items(page: WebPage) -> list:
    return page.css("#coding-suggestions li.code-item")


def _item(page: WebPage, index: int):
    return page.css(f"#coding-suggestions li.code-item[data-index='{index}']")[0]


def _keys(page: WebPage, keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(page.driver).send_keys(keys).perform()


def _current(page: WebPage) -> int:
    return int(page.css("#coding-suggestions li.code-item[aria-current=true]")[0]
               .get_attribute("data-index"))


def _move_to(page: WebPage, index: int) -> None:
    """Select suggestion ``index`` with j / k."""
    while (at := _current(page)) != index:
        _keys(page, "j" if at < index else "k")


def _search_and_pick(page: WebPage, query: str, avoid: set[str]) -> dict:
    """Type ``query`` in the open code search; pick the first billable code not in
    ``avoid``; returns it."""
    field = page.driver.find_element("id", "coding-search-q")
    field.clear()
    field.send_keys(query)
    page.driver.find_element("id", "coding-search-send").click()
    results = page.wait(lambda d: [b for b in page.css("#coding-search-results button.code-result")
                                   if b.is_enabled()], 60, f"the code search for {query!r}")
    # Every result names its code and says what it is.
    assert all(b.find_element("css selector", ".code-desc").text for b in results)
    chosen = next(b for b in results if b.get_attribute("data-code") not in avoid)
    picked = {"code": chosen.get_attribute("data-code"),
              "description": chosen.find_element("css selector", ".code-desc").text}
    chosen.click()
    page.wait(lambda d: not d.find_element("id", "coding-search").is_displayed(), 15,
              "the code search to close")
    return picked


def _db(server) -> sqlite3.Connection:
    path = server.log.parent / "data" / "clinagent.db"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def test_when_coding_view_opens_then_queue_notes_and_dashboard_show(page, plan, flow):
    queue = page.wait_css("#coding-queue button.note-item", 120, "the review queue")
    assert plan["a"] in {b.get_attribute("data-note-id") for b in queue}
    notes = page.wait_css("#coding-notes button.note-item", 60, "the patient's notes")
    assert len(notes) == len(page.server.notes)
    stats = page.wait(lambda d: (s := _stats(page)) and s.get("decisions") is not None and s,
                      60, "the dashboard")
    assert stats["decisions"] == "0" and stats["accept_rate"] == ""
    assert int(stats["queue_size"]) == len(queue)
    assert "review" in page.driver.find_element("id", "coding-queue-count").text
    flow["before"] = stats


def test_when_a_queue_note_opens_then_suggestions_and_evidence_show(page, plan):
    page.css(f"#coding-queue button.note-item[data-note-id='{plan['a']}']")[0].click()
    items = page.wait(lambda d: len(_items(page)) == len(plan["a_list"]) and _items(page),
                      120, "the suggestion list")
    assert [i.get_attribute("data-code") for i in items] == [s["code"] for s in plan["a_list"]]
    first = items[0]
    for part in (".code-code", ".code-desc", ".code-route", ".code-score", ".code-reasons"):
        assert first.find_element("css selector", part).text, part
    assert "Why here:" in first.text and "confidence" in first.text
    routes = {i.find_element("css selector", ".code-route").text for i in items}
    assert routes <= {"needs review", "pre-accepted"} and "needs review" in routes
    # The selected suggestion's evidence is the cited span of the note, in view.
    text = page.server.notes[plan["a"]]["text"]
    marks = page.wait_css("#coding-text mark.cited", 15, "the highlighted evidence")
    for mark in marks:
        start, end = int(mark.get_attribute("data-start")), int(mark.get_attribute("data-end"))
        assert mark.get_attribute("textContent") == text[start:end]
        assert mark.get_attribute("data-index") == "0"
    spans = {(c["start"], c["end"]) for c in plan["a_list"][0]["evidence"]}
    assert {(int(m.get_attribute("data-start")), int(m.get_attribute("data-end")))
            for m in marks} <= spans
    # Clicking another suggestion highlights its spans instead and scrolls to them.
    target = plan["replace"]
    _item(page, target).find_element("css selector", ".code-desc").click()
    marks = page.wait(lambda d: [m for m in page.css("#coding-text mark.cited")
                                 if m.get_attribute("data-index") == str(target)], 15,
                      "the other suggestion's evidence")
    assert page.driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "const box = document.getElementById('coding-text').getBoundingClientRect();"
        "return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;", marks[0])
    assert _current(page) == target


def test_when_coder_decides_and_submits_then_decisions_and_review_time_are_stored(
        page, plan, keys, flow):
    a_list = plan["a_list"]
    _move_to(page, 0)
    # Accept the first with its button.
    _item(page, 0).find_element("css selector", "button.action-accept").click()
    page.wait(lambda d: _item(page, 0).get_attribute("data-decision") == "accept", 10,
              "the acceptance")
    assert _item(page, 0).find_element("css selector", "button.action-accept") \
        .get_attribute("aria-pressed") == "true"
    # Reject one with the keyboard (j / k, r).
    _move_to(page, plan["reject"])
    _keys(page, "r")
    page.wait(lambda d: _item(page, plan["reject"]).get_attribute("data-decision") == "reject",
              10, "the rejection")
    # Replace one: e opens the code search; letters typed there are not shortcuts.
    _move_to(page, plan["replace"])
    _keys(page, "e")
    field = page.wait(lambda d: (f := d.switch_to.active_element).get_attribute("id")
                      == "coding-search-q" and f, 10, "the code search")
    field.send_keys("rajxu")
    assert _item(page, plan["replace"]).get_attribute("data-decision") == ""
    assert _current(page) == plan["replace"]
    replaced = a_list[plan["replace"]]
    avoid = {s["code"] for s in a_list} | {s["code"] for s in plan["b_before"]}
    replacement = _search_and_pick(page, replaced["code"][:3], avoid)
    item = _item(page, plan["replace"])
    assert item.get_attribute("data-decision") == "replace"
    assert f"Replaced by {replacement['code']}" in item.text
    # Add a missed code by words, for the selected suggestion's concept (the default).
    _keys(page, "n")
    page.wait(lambda d: d.switch_to.active_element.get_attribute("id") == "coding-search-q",
              10, "the code search for an added code")
    concept = page.driver.find_element("id", "coding-search-concept").get_attribute("value")
    assert concept == replaced["mentions"][0]["concept"]
    added = _search_and_pick(page, "vitamin D deficiency", avoid | {replacement["code"]})
    assert [a.get_attribute("data-code") for a in page.css("#coding-added li.added-item")] \
        == [added["code"]]
    # Submitting with review suggestions undecided is refused; x rejects the rest.
    page.driver.find_element("id", "coding-submit").click()
    status = page.driver.find_element("id", "coding-status")
    assert "routed to review first" in status.text
    assert _items(page)[0].get_attribute("data-decision") == "accept"
    _keys(page, "x")
    undecided = [i for i in _items(page) if i.get_attribute("data-route") == "review"
                 and not i.get_attribute("data-decision")]
    assert not undecided
    _keys(page, "S")
    page.wait(lambda d: "Stored" in d.find_element("id", "coding-status").text, 60,
              "the stored decisions")
    assert page.driver.find_element("id", "coding-submit").get_attribute("disabled")

    # What the page sent: pre-accepted ones left alone count as accepted.
    kinds = {}
    for i, s in enumerate(a_list):
        kind = ("accept" if i == 0 else "reject" if i == plan["reject"] else "replace"
                if i == plan["replace"] else "accept" if s["route"] == "pre-accepted"
                else "reject")
        kinds[kind] = kinds.get(kind, 0) + 1
    kinds["add"] = 1
    with closing(_db(page.server)) as db:
        rows = db.execute("SELECT code, decision, replacement, concept, key_id, "
                          "suggestion_score FROM coding_decisions WHERE note_id = ?",
                          (plan["a"],)).fetchall()
        reviews = db.execute("SELECT seconds, decisions, key_id FROM coding_reviews "
                             "WHERE note_id = ?", (plan["a"],)).fetchall()
    assert len(rows) == len(a_list) + 1
    counted = {}
    for r in rows:
        counted[r[1]] = counted.get(r[1], 0) + 1
    assert counted == kinds
    assert (replaced["code"], "replace", replacement["code"]) in {r[:3] for r in rows}
    assert (added["code"], "add", None, concept) in {r[:4] for r in rows}
    assert {r[4] for r in rows} == {keys["coder"]["key_id"]}
    assert all(r[5] is not None for r in rows if r[1] != "add")
    assert len(reviews) == 1
    seconds, count, key_id = reviews[0]
    assert 0 < seconds < 3600 and count == len(rows) and key_id == keys["coder"]["key_id"]
    flow.update(kinds=kinds, seconds=seconds, replacement=replacement, added=added,
                concept=concept)


def test_when_decisions_are_stored_then_the_dashboard_numbers_move(page, flow):
    before, kinds = flow["before"], flow["kinds"]
    stats = page.wait(lambda d: (s := _stats(page)).get("decisions") != before["decisions"]
                      and s, 60, "the refreshed dashboard")
    total = sum(kinds.values())
    assert int(stats["decisions"]) == total
    assert int(stats["decided_notes"]) == 1
    judged = kinds["accept"] + kinds["reject"] + kinds["replace"]
    assert float(stats["accept_rate"]) == pytest.approx(kinds["accept"] / judged, abs=1e-4)
    assert 0.0 <= float(stats["precision_at_1"]) <= 1.0
    assert 0.0 <= float(stats["precision_at_5"]) <= 1.0
    assert int(stats["queue_size"]) == int(before["queue_size"]) - 1
    assert float(stats["median_review_seconds"]) == pytest.approx(flow["seconds"], abs=0.05)
    assert stats["reviewed_notes"] == "1"
    accept_words = page.css("#coding-stats [data-stat=accept_rate] dd")[0].text
    assert accept_words == f"{int(float(stats['accept_rate']) * 100 + 0.5)}%"
    # Precision over time: one day, as a chart and a table.
    rows = page.css("#coding-trend table tbody tr")
    assert len(rows) == 1 and rows[0].find_element("css selector", "td").text == str(total)
    assert page.css("#coding-trend svg[role=img] circle")


def test_when_the_ranker_is_retrained_then_the_similar_note_shows_the_learned_ranking(
        page, plan, keys, http, flow):
    r = http("POST", "/v1/coding/retrain", keys["coder"]["key"])
    assert r.status_code == 403
    r = http("POST", "/v1/coding/retrain", keys["admin"]["key"])
    assert r.status_code == 200, r.text
    trained = r.json()
    assert trained["ranker_version"] != trained["previous_version"]
    assert trained["decisions"] == sum(flow["kinds"].values())

    page.css(f"#coding-notes button.note-item[data-note-id='{plan['b']}']")[0].click()
    page.wait(lambda d: d.find_element("id", "coding-head").get_attribute("data-note-id")
              == plan["b"] and _items(page), 120, "the similar note's suggestions")
    assert trained["ranker_version"] in page.driver.find_element("id", "coding-head").text
    after = {i.get_attribute("data-code"): i for i in _items(page)}
    before = {s["code"]: s for s in plan["b_before"]}
    # The code the coder chose instead, and the one added, are now offered for the concept.
    for code in (flow["replacement"]["code"], flow["added"]["code"]):
        assert code not in before and code in after, code
        assert "learned from this site's coders" in after[code].text
    # The replaced and the rejected code score lower than before.
    a_list = plan["a_list"]
    for index in (plan["replace"], plan["reject"]):
        code = a_list[index]["code"]
        assert code in before
        if code in after:
            assert float(after[code].get_attribute("data-score")) < before[code]["score"], code
    # The note's own list is ranked by the learned scores, best first.
    scores = [float(i.get_attribute("data-score")) for i in _items(page)]
    assert scores == sorted(scores, reverse=True)


def test_when_coding_view_is_checked_by_axe_then_no_serious_or_critical_violation(page):
    if not AXE_FILE.exists():
        pytest.skip(f"axe-core is not installed: {AXE_INSTALL}")
    found = {}
    page.driver.find_element("id", "coding-help-toggle").click()
    assert page.driver.find_element("id", "coding-help").is_displayed()
    found["list"] = page.axe_violations()
    page.driver.find_element("id", "coding-add").click()
    field = page.driver.find_element("id", "coding-search-q")
    field.send_keys("heart failure")
    page.driver.find_element("id", "coding-search-send").click()
    page.wait_css("#coding-search-results button.code-result", 60, "the search results")
    found["search"] = page.axe_violations()
    from selenium.webdriver.common.keys import Keys

    _keys(page, Keys.ESCAPE)
    assert not page.driver.find_element("id", "coding-search").is_displayed()
    assert not {k: v for k, v in found.items() if v}, found


def test_when_window_is_tablet_wide_then_coding_view_does_not_scroll_sideways(page):
    size = page.driver.get_window_size()
    page.driver.set_window_size(*TABLET)
    try:
        overflow = page.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement"
            ".clientWidth")
        assert overflow <= 0
    finally:
        page.driver.set_window_size(size["width"], size["height"])


def test_when_shortcuts_are_switched_off_then_keys_do_nothing(page):
    page.driver.find_element("id", "coding-keys").click()
    try:
        first = _items(page)[0]
        first.find_element("css selector", ".code-desc").click()
        _keys(page, "a")
        assert _items(page)[0].get_attribute("data-decision") == ""
    finally:
        page.driver.find_element("id", "coding-keys").click()
    _items(page)[0].find_element("css selector", ".code-desc").click()
    _keys(page, "a")
    assert _items(page)[0].get_attribute("data-decision") == "accept"
