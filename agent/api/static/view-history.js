// History view: the patient's stored handoffs (newest first): reopen one, see what changed
// since the one before, acknowledge it.
"use strict";

function acksText(acks) {
  return acks.length ? acks.map(ackText).join(" ") : "Not acknowledged yet.";
}

function historyItem(patientId, h, isOldest) {
  const open = el("button", { type: "button", className: "secondary open-handoff",
    text: "Open", "aria-label": `Open handoff ${h.summary_id}` });
  open.addEventListener("click", () => reopenHandoff(patientId, h.summary_id, h.created_at,
    h.acknowledgements || []));
  const changes = el("button", { type: "button", className: "secondary show-changes",
    text: "Changes since previous", disabled: isOldest,
    "aria-label": `Changes since previous, handoff ${h.summary_id}` });
  changes.addEventListener("click", () => showChanges(patientId, h.summary_id));
  const ackStatus = el("span", { className: "ack-status", role: "status",
    text: acksText(h.acknowledgements || []) });
  const ack = el("button", { type: "button", className: "secondary acknowledge",
    text: "Acknowledge handoff", "aria-label": `Acknowledge handoff ${h.summary_id}` });
  ack.addEventListener("click", () => acknowledge(h.summary_id, ack, ackStatus));
  const mode = h.mode === "llm" ? "LLM-written" : h.mode === "external" ? "external" : "extractive";
  return el("li", { className: "history-item", "data-summary-id": String(h.summary_id) }, [
    el("p", { className: "history-title", text: `Handoff ${h.summary_id}, ${h.created_at}` }),
    el("p", { className: "meta", text: `${mode}, ${count(h.statement_count, "statement")}; `
      + (h.flagged_count ? `${count(h.flagged_count, "statement")} need`
        + `${h.flagged_count === 1 ? "s" : ""} review` : "no statement needs review") }),
    el("div", { className: "row" }, [open, changes, ack, ackStatus]),
  ]);
}

function renderHistory(body, patientId) {
  const list = body.handoffs;
  $("history").replaceChildren(list.length
    ? el("ul", { className: "history-list" }, list.map((h, i) => historyItem(patientId, h,
      i === list.length - 1)))
    : el("p", { className: "empty", text: "No stored handoff yet: request one." }));
}

function changedStatement(s, patientId, className) {
  return el("li", { className }, [
    el("span", { className: "statement-text", text: s.text }),
    ...verdictBadge(s.verification),
    citationList(s.citations, patientId),
  ]);
}

function renderChanges(body, patientId) {
  const sections = body.sections.filter((s) => s.added.length || s.removed.length
    || s.changed.length);
  const total = sections.reduce((n, s) => n + s.added.length + s.removed.length
    + s.changed.length, 0);
  const blocks = sections.map((s) => el("section", { className: "change-section",
    "data-section": s.section }, [
    el("h4", { text: sectionTitle(s.section) }),
    el("ul", { className: "change-list" }, [
      ...s.added.map((st) => changedStatement(st, patientId, "change-added")),
      ...s.removed.map((st) => changedStatement(st, patientId, "change-removed")),
      ...s.changed.map((c) => el("li", { className: "change-changed" }, [
        el("p", { className: "change-before", text: c.before.text }),
        changedStatement(c.after, patientId, "change-after"),
      ])),
    ]),
  ]));
  $("changes").replaceChildren(
    el("h3", { text: `Changes in handoff ${body.summary_id} since handoff ${body.since_id}` }),
    el("p", { className: "meta", text: total
      ? `${count(total, "statement")} added, removed or changed; `
        + `${body.unchanged_count} unchanged.`
      : `Nothing changed; ${body.unchanged_count} statements are the same.` }),
    ...blocks,
  );
}

async function showChanges(patientId, summaryId) {
  $("changes").replaceChildren(el("p", { className: "meta", text: "Comparing..." }));
  try {
    await patientNotes(patientId);
    const { body } = await api(`/v1/handoffs/${encodeURIComponent(summaryId)}/changes`);
    if (state.patient === patientId) renderChanges(body, patientId);
    $("changes").scrollIntoView({ block: "start" });
  } catch (err) {
    $("changes").replaceChildren(viewError("The changes", err));
  }
}

VIEWS.history = {
  async load(patientId) {
    $("history").replaceChildren(el("p", { className: "meta", text: "Loading..." }));
    $("changes").replaceChildren();
    try {
      const { body } = await api(patientPath(patientId, "handoffs"));
      if (state.patient === patientId) renderHistory(body, patientId);
    } catch (err) {
      $("history").replaceChildren(viewError("The handoff history", err));
      throw err;
    }
  },
};
