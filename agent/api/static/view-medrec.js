// Medications view: the reconciliation table (home, inpatient, discharge), each cell's
// citations as chips, the change in words and its reason; conditional plans below.
"use strict";

const CHANGE_WORDS = {
  new: "new", changed: "changed", held: "held", stopped: "stopped",
  continued: "continued", unknown: "not clear from the notes",
};

function medCell(cell, patientId, column) {
  if (!cell) return el("td", { className: "med-cell empty-cell", text: "not listed" });
  const status = cell.status && cell.status !== "active"
    ? el("span", { className: `med-status med-status-${cell.status}`,
      text: plain(cell.status) }) : null;
  return el("td", { className: "med-cell", "data-column": column }, [
    el("span", { className: "med-text", text: cell.text }),
    status,
    cell.date ? el("span", { className: "med-date", text: shortDate(cell.date) }) : null,
    citationList(cell.citations, patientId),
  ]);
}

function medRow(row, patientId) {
  const change = el("td", { className: `med-change change-${row.change}` }, [
    el("span", { className: "change-word", text: CHANGE_WORDS[row.change] || plain(row.change) }),
    row.change_text ? el("span", { className: "change-text", text: arrowed(row.change_text) })
      : null,
  ]);
  const reason = el("td", { className: "med-reason" }, row.reason ? [
    el("span", { text: row.reason.text }),
    row.reason.citation ? citationList([row.reason.citation], patientId) : null,
  ] : [el("span", { className: "empty-cell", text: "none given" })]);
  return el("tr", { "data-drug": row.drug }, [
    el("th", { scope: "row", text: row.drug }),
    medCell(row.home, patientId, "home"),
    medCell(row.inpatient, patientId, "inpatient"),
    medCell(row.discharge, patientId, "discharge"),
    change,
    reason,
  ]);
}

function renderMedrec(body, patientId) {
  const box = $("medrec");
  const notes = [];
  if (!body.has_home_list) notes.push("No home medication list in the notes.");
  if (!body.has_discharge) notes.push("No discharge medication list yet.");
  const table = el("table", { className: "data-table medrec-table" }, [
    el("caption", { text: `${count(body.rows.length, "medication")} across the stay` }),
    el("thead", {}, [el("tr", {}, ["Drug", "Home", "Inpatient", "Discharge", "Change",
      "Reason"].map((h) => el("th", { scope: "col", text: h })))]),
    el("tbody", {}, body.rows.map((row) => medRow(row, patientId))),
  ]);
  const plans = body.conditional_plans || [];
  box.replaceChildren(
    ...notes.map((t) => el("p", { className: "meta", text: t })),
    body.rows.length ? el("div", { className: "table-scroll", role: "region",
      "aria-label": "Medication reconciliation table", tabIndex: 0 }, [table])
      : el("p", { className: "empty", text: "No medication found in the notes." }),
    el("h3", { text: "Conditional plans" }),
    plans.length ? el("ul", { className: "plans" }, plans.map((p) => el("li", {}, [
      el("span", { className: "plan-text", text: p.text }),
      citationList([p.citation], patientId),
    ]))) : el("p", { className: "empty", text: "No conditional plan in the notes." }),
  );
}

VIEWS.medrec = {
  async load(patientId) {
    $("medrec").replaceChildren(el("p", { className: "meta", text: "Loading..." }));
    try {
      await patientNotes(patientId);
      const { body } = await api(patientPath(patientId, "medrec"));
      if (state.patient === patientId) renderMedrec(body, patientId);
    } catch (err) {
      $("medrec").replaceChildren(viewError("The medication reconciliation", err));
      throw err;
    }
  },
};
