// Labs view: one row per test, its values by date (each value cites its passage), the unit
// and a trend arrow with words for screen readers and print.
"use strict";

const TRENDS = {
  up: ["\u2191", "rising"],
  down: ["\u2193", "falling"],
  steady: ["\u2192", "steady"],
};

function trendCell(trend) {
  const pair = TRENDS[trend];
  if (!pair) return el("td", { className: "trend", text: "one value" });
  return el("td", { className: `trend trend-${trend}` }, [
    el("span", { className: "trend-arrow", "aria-hidden": "true", text: pair[0] }),
    el("span", { className: "trend-words", text: " " + pair[1] }),
  ]);
}

function renderLabs(body, patientId) {
  const box = $("labs");
  if (!body.tests.length) {
    box.replaceChildren(el("p", { className: "empty", text: "No lab result found in the notes." }));
    return;
  }
  const dates = [...new Set(body.tests.flatMap((t) => t.values.map((v) => v.date || "")))]
    .sort((a, b) => (a === "" ? 1 : b === "" ? -1 : a.localeCompare(b)));
  const span = notesSpanYears(patientId);
  const header = el("tr", {}, [
    el("th", { scope: "col", text: "Test" }),
    el("th", { scope: "col", text: "Unit" }),
    el("th", { scope: "col", text: "Trend" }),
    ...dates.map((d) => el("th", { scope: "col", text: d ? shortDate(d, span) : "undated" })),
  ]);
  const rows = body.tests.map((t) => el("tr", { "data-test": t.name }, [
    el("th", { scope: "row", text: t.name }),
    el("td", { className: "unit", text: t.unit || "" }),
    trendCell(t.trend),
    ...dates.map((d) => el("td", { className: "lab-values" },
      t.values.filter((v) => (v.date || "") === d).map((v) => citationItem(
        v.citation, patientId, v.text)))),
  ]));
  box.replaceChildren(el("div", { className: "table-scroll", role: "region",
    "aria-label": "Lab results table", tabIndex: 0 }, [
    el("table", { className: "data-table labs-table" }, [
      el("caption", { text: `${count(body.tests.length, "test")}; open a value for its passage` }),
      el("thead", {}, [header]),
      el("tbody", {}, rows),
    ]),
  ]));
}

VIEWS.labs = {
  async load(patientId) {
    $("labs").replaceChildren(el("p", { className: "meta", text: "Loading..." }));
    try {
      await patientNotes(patientId);
      const { body } = await api(patientPath(patientId, "labs"));
      if (state.patient === patientId) renderLabs(body, patientId);
    } catch (err) {
      $("labs").replaceChildren(viewError("The labs", err));
      throw err;
    }
  },
};
