// Handoff view: the I-PASS summary with verdicts in words, its citations, omissions, and the
// acknowledgement of a stored handoff.
"use strict";

const POLL_MS = 1000;
const SECTION_ORDER = Object.keys(SECTION_TITLES);

function statementItem(s, patientId) {
  return el("li", {
    className: "statement", "data-statement-id": s.id,
    "data-verdict": s.verification ? s.verification.verdict : "NOT_VERIFIED",
  }, [
    el("span", { className: "statement-text", text: s.text }),
    ...verdictBadge(s.verification),
    s.origin && s.origin !== "extractive" ? el("span", { className: "origin",
      text: s.origin === "llm" ? "written by the LLM" : "from an external summary" }) : null,
    citationList(s.citations, patientId),
  ]);
}

function inputIssuesBlock(summary) {
  const issues = summary.input_issues || [];
  $("input-issues").hidden = issues.length === 0;
  $("input-issues").replaceChildren(...(issues.length ? [
    el("p", { text: `PARTIAL INPUT: built from ${count(summary.note_ids.length, "note")}; `
      + `${issues.length} input line(s) that may hold notes of this patient could not be `
      + "read and are NOT in this handoff." }),
    el("ul", {}, issues.map((i) => el("li", { className: "input-issue",
      text: `${i.source}${i.line ? " line " + i.line : ""}`
        + `${i.field ? " field " + i.field : ""}: ${i.problem}` }))),
  ] : []));
}

// ``stored``: {summaryId, createdAt} of a stored handoff (reopened or just built).
function renderHandoff(summary, stored = {}) {
  const patientId = summary.patient_id;
  state.handoff = { summary, summaryId: stored.summaryId == null ? null : stored.summaryId };
  const prov = summary.provenance || {};
  const mode = summary.mode === "llm" ? "LLM-written" : summary.mode === "external"
    ? "External" : "Extractive";
  const when = stored.createdAt || summary.generated_at;
  $("handoff-meta").textContent = `${mode} handoff of ${count(summary.note_ids.length, "note")}`
    + `, generated ${when}`
    + (state.handoff.summaryId != null ? ` (stored handoff ${state.handoff.summaryId})` : "")
    + `. Produced by ${prov.producer || "clinagent"} ${prov.package_version || ""}`
    + (prov.backend ? ` (${prov.backend}${prov.model ? ", " + prov.model : ""})` : "") + ".";
  $("handoff-counts").textContent = "Statements: "
    + verdictCounts(summary.statements.map((s) => s.verification)) + ".";
  $("banner-print-meta").textContent = `Handoff generated ${when}`
    + (state.handoff.summaryId != null ? `, stored handoff ${state.handoff.summaryId}` : "");

  inputIssuesBlock(summary);
  $("run-flags").replaceChildren(...(summary.flags || []).map(
    (flag) => el("li", { className: "run-flag", text: readable(flag) })));

  const container = $("handoff");
  container.replaceChildren();
  const known = new Set(SECTION_ORDER);
  const extra = [...new Set(summary.statements.map((s) => s.section))]
    .filter((code) => !known.has(code));
  for (const code of [...SECTION_ORDER, ...extra]) {
    const statements = summary.statements.filter((s) => s.section === code);
    const section = el("section", { className: "ipass-section", "data-section": code },
      [el("h3", { text: sectionTitle(code) })]);
    if (!statements.length) {
      section.append(el("p", { className: "empty", text: "No statement in this section." }));
    } else {
      section.append(el("ul", { className: "statements" },
        statements.map((s) => statementItem(s, patientId))));
    }
    container.append(section);
  }

  const omissions = summary.omissions || [];
  $("omissions-block").hidden = omissions.length === 0;
  $("omissions").replaceChildren(...omissions.map((o) => el("li", { className: "omission" }, [
    el("span", { className: "omission-kind", text: OMISSION_WORDS[o.kind] || plain(o.kind) }),
    el("span", { className: "omission-text", text: o.text }),
    citationList(o.citations, patientId),
  ])));
  renderAckRow([]);
  $("handoff-empty").hidden = true;
  $("handoff-panel").hidden = false;
}

function ackText(ack) {
  return `Acknowledged by ${ack.key_name || ack.key_id} at ${ack.at}.`;
}

// The acknowledgement row of the shown handoff: who acknowledged it, or the button.
function renderAckRow(acks) {
  const row = $("handoff-ack");
  const summaryId = state.handoff && state.handoff.summaryId;
  if (summaryId == null) {
    row.replaceChildren(el("span", { className: "meta",
      text: "This handoff was not stored, so it cannot be acknowledged." }));
    return;
  }
  const button = el("button", { type: "button", id: "acknowledge", className: "secondary",
    text: "Acknowledge handoff" });
  const note = el("span", { id: "ack-status", className: "ack-status", role: "status",
    text: acks.length ? acks.map(ackText).join(" ") : "Not acknowledged yet." });
  button.addEventListener("click", () => acknowledge(summaryId, button, note));
  row.replaceChildren(button, note);
}

async function acknowledge(summaryId, button, note) {
  button.disabled = true;
  try {
    const { body } = await api(`/v1/handoffs/${encodeURIComponent(summaryId)}/acknowledge`,
      { method: "POST", body: {} });
    note.textContent = ackText(body);
    button.textContent = "Acknowledged";
    delete state.loaded.history; // the history lists who acknowledged
    setStatus(`Handoff ${summaryId} acknowledged.`, "ok");
  } catch (err) {
    button.disabled = false;
    note.textContent = "Could not acknowledge: " + err.message;
  }
}

async function pollJob(job) {
  const progress = $("job-progress");
  progress.hidden = false;
  let current = job;
  while (current.status === "queued" || current.status === "running") {
    progress.value = current.progress || 0;
    setStatus(`Building the handoff: ${current.status}`
      + (current.stage ? `, ${plain(current.stage)}` : "") + "...");
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    current = (await api(`/v1/jobs/${encodeURIComponent(current.job_id)}`)).body;
  }
  progress.hidden = true;
  if (current.status !== "succeeded" || !current.result) {
    throw new Error(`job ${current.job_id} ${current.status}`
      + (current.error ? `: ${current.error}` : ""));
  }
  return current.result;
}

async function requestHandoff() {
  const patientId = state.patient;
  if (!patientId) return;
  const button = $("request-handoff");
  button.disabled = true;
  showView("handoff");
  setStatus(`Requesting the handoff of ${patientId} (extracting and checking every note)...`);
  try {
    delete state.notes[patientId]; // notes may have arrived since: the chips name them
    await patientNotes(patientId);
    const reply = await api(patientPath(patientId, "handoff?format=json"), {
      method: "POST", body: { format: "json", use_llm: $("use-llm").checked },
    });
    const result = reply.status === 202 ? await pollJob(reply.body) : reply.body;
    if (state.patient !== patientId) return; // the user switched patient meanwhile
    renderHandoff(result.summary, { summaryId: result.summary_id });
    delete state.loaded.history;
    setStatus(`Handoff of ${patientId} ready`
      + (result.summary_id != null ? ` (stored as handoff ${result.summary_id}).`
        : " (not stored)."), "ok");
  } catch (err) {
    $("job-progress").hidden = true;
    setStatus("Handoff failed: " + err.message, "error");
  } finally {
    button.disabled = !state.patient;
  }
}

// Reopen a stored handoff (History); ``acks`` are its acknowledgements as listed there.
async function reopenHandoff(patientId, summaryId, createdAt, acks = []) {
  setStatus(`Opening stored handoff ${summaryId}...`);
  try {
    await patientNotes(patientId);
    const { body } = await api(`/v1/handoffs/${encodeURIComponent(summaryId)}?format=json`);
    if (state.patient !== patientId) return;
    renderHandoff(body.summary, { summaryId, createdAt });
    renderAckRow(acks);
    showView("handoff");
    setStatus(`Stored handoff ${summaryId} reopened.`, "ok");
  } catch (err) {
    setStatus("Could not open the handoff: " + err.message, "error");
  }
}

function resetHandoff() {
  state.handoff = null;
  $("handoff-panel").hidden = true;
  $("handoff-empty").hidden = false;
  $("handoff").replaceChildren();
  $("banner-print-meta").textContent = "";
}
