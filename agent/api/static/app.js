// clinagent clinician page: plain JS, no build step, no external resources.
// Every piece of note or summary text is inserted with textContent (never innerHTML):
// notes and LLM output are untrusted and must not be able to inject markup.
"use strict";

const KEY_STORAGE = "clinagent.apiKey";
const POLL_MS = 1000;
const CONTEXT_CHARS = 160; // characters shown around a cited span
const SECTIONS = [
  ["illness_severity", "Illness severity"],
  ["patient_summary", "Patient summary"],
  ["active_problems", "Active problems"],
  ["medications", "Medications"],
  ["allergies", "Allergies"],
  ["pending", "Pending results and to-dos"],
  ["action_list", "Action list"],
  ["situation_awareness", "Situation awareness and contingency planning"],
];

const state = { patient: "", notes: {}, notesLoading: {} };
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else if (name.startsWith("data-") || name === "title" || name === "role") {
      node.setAttribute(name, value);
    } else node[name] = value;
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) || "";
}

function setStatus(text, kind = "") {
  const status = $("status");
  status.textContent = text;
  status.className = "status " + kind;
}

// A fetch to the service; errors (RFC 9457 problem details) become Error messages.
async function api(path, options = {}) {
  const headers = { Authorization: "Bearer " + apiKey(), Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  let payload = null;
  try {
    payload = await response.json();
  } catch (err) {
    payload = null;
  }
  if (!response.ok) {
    const title = (payload && payload.title) || response.statusText || "request failed";
    const detail = payload && payload.detail ? ": " + payload.detail : "";
    throw new Error(`${response.status} ${title}${detail}`);
  }
  return { status: response.status, body: payload };
}

// ---- patients ------------------------------------------------------------------------------

async function loadPatients() {
  const select = $("patient-select");
  if (!apiKey()) {
    setStatus("Enter an API key to list patients.", "warn");
    return;
  }
  setStatus("Loading patients...");
  try {
    const { body } = await api("/v1/patients");
    select.replaceChildren(el("option", { value: "", text: "choose a patient" }));
    for (const p of body.patients) {
      const dates = p.first_date ? `, ${p.first_date} to ${p.last_date || p.first_date}` : "";
      select.append(el("option", {
        value: p.patient_id, text: `${p.patient_id} (${p.note_count} notes${dates})`,
      }));
    }
    select.disabled = false;
    setStatus(body.patients.length ? `${body.patients.length} patient(s) available.`
      : "No patient visible to this key. Ingest notes with POST /v1/notes.", "");
  } catch (err) {
    select.disabled = true;
    setStatus("Could not list patients: " + err.message, "error");
  }
}

function choosePatient() {
  state.patient = $("patient-select").value;
  const ready = Boolean(state.patient);
  $("request-handoff").disabled = !ready;
  $("chat-question").disabled = !ready;
  $("chat-send").disabled = !ready;
  $("handoff-panel").hidden = true;
  $("chat-answer").replaceChildren();
  if (ready) setStatus(`Patient ${state.patient} selected.`);
}

// Notes are fetched once per patient, when the first citation is opened.
async function patientNotes(patientId) {
  if (state.notes[patientId]) return state.notes[patientId];
  if (!state.notesLoading[patientId]) {
    state.notesLoading[patientId] = api(`/v1/patients/${encodeURIComponent(patientId)}/notes`)
      .then(({ body }) => {
        const byId = {};
        for (const note of body.notes) byId[note.note_id] = note;
        state.notes[patientId] = byId;
        return byId;
      })
      .finally(() => { delete state.notesLoading[patientId]; });
  }
  return state.notesLoading[patientId];
}

// ---- verdicts and citations -----------------------------------------------------------------

function verdictLabel(verification) {
  if (!verification) return "NOT VERIFIED";
  const reasons = verification.reasons || [];
  return reasons.length ? `${verification.verdict}: ${reasons.join(", ")}`
    : verification.verdict;
}

function verdictBadge(verification) {
  const verdict = verification ? verification.verdict : "NOT_VERIFIED";
  const badge = el("span", {
    className: `verdict verdict-${verdict}`, text: verdictLabel(verification),
    "data-verdict": verdict,
  });
  const parts = [badge];
  if (verification && verification.detail) {
    parts.push(el("span", { className: "verdict-detail", text: verification.detail }));
  }
  return parts;
}

function passageView(note, citation) {
  const text = note.text;
  if (citation.end > text.length) {
    return el("p", { className: "error",
      text: `Offsets ${citation.start}-${citation.end} are outside note ${note.note_id}.` });
  }
  const from = Math.max(0, citation.start - CONTEXT_CHARS);
  const to = Math.min(text.length, citation.end + CONTEXT_CHARS);
  const header = `${note.note_type || "note"} ${note.note_id}` + (note.date ? `, ${note.date}` : "")
    + ` (characters ${citation.start}-${citation.end})`;
  return el("figure", { className: "passage" }, [
    el("figcaption", { text: header }),
    el("blockquote", { className: "passage-text" }, [
      from > 0 ? "\u2026" : "",
      text.slice(from, citation.start),
      el("mark", { className: "cited", text: text.slice(citation.start, citation.end) }),
      text.slice(citation.end, to),
      to < text.length ? "\u2026" : "",
    ]),
  ]);
}

function citationItem(citation, patientId) {
  const details = el("details", {
    className: "citation", "data-note-id": citation.note_id,
    "data-start": String(citation.start), "data-end": String(citation.end),
  }, [el("summary", { text: `${citation.note_id} [${citation.start}-${citation.end}]` })]);
  let loaded = false;
  details.addEventListener("toggle", async () => {
    if (!details.open || loaded) return;
    loaded = true;
    const body = el("div", { className: "passage-body", text: "Loading the note..." });
    details.append(body);
    try {
      const notes = await patientNotes(patientId);
      const note = notes[citation.note_id];
      body.replaceChildren(note ? passageView(note, citation)
        : el("p", { className: "error", text: `Note ${citation.note_id} is not stored.` }));
    } catch (err) {
      loaded = false;
      body.replaceChildren(el("p", { className: "error", text: "Could not load the note: "
        + err.message }));
    }
  });
  return details;
}

function citationList(citations, patientId) {
  if (!citations || !citations.length) {
    return el("span", { className: "no-citation", text: "no citation" });
  }
  return el("div", { className: "citations" },
    citations.map((c) => citationItem(c, patientId)));
}

// ---- handoff ---------------------------------------------------------------------------------

function renderHandoff(summary) {
  const patientId = summary.patient_id;
  const counts = {};
  for (const s of summary.statements) {
    const v = s.verification ? s.verification.verdict : "NOT VERIFIED";
    counts[v] = (counts[v] || 0) + 1;
  }
  const tally = Object.entries(counts).map(([v, n]) => `${n} ${v}`).join(", ") || "none";
  const prov = summary.provenance || {};
  $("handoff-meta").textContent = `${summary.mode} summary of ${summary.note_ids.length} note(s)`
    + `, generated ${summary.generated_at}; statements: ${tally}. Produced by `
    + `${prov.producer || "?"} ${prov.package_version || ""}`
    + (prov.backend ? ` (${prov.backend}${prov.model ? ", " + prov.model : ""})` : "")
    + (prov.prompt ? `, prompt ${prov.prompt}` : "") + ".";

  // Partial input first: a summary missing notes must not look complete.
  const issues = summary.input_issues || [];
  $("input-issues").hidden = issues.length === 0;
  $("input-issues").replaceChildren(...(issues.length ? [
    el("p", { text: `PARTIAL INPUT: built from ${summary.note_ids.length} note(s); `
      + `${issues.length} input line(s) that may hold notes of this patient could not be `
      + "read and are NOT in this handoff." }),
    el("ul", {}, issues.map((i) => el("li", { className: "input-issue",
      text: `${i.source}${i.line ? " line " + i.line : ""}`
        + `${i.field ? " field " + i.field : ""}: ${i.problem}` }))),
  ] : []));

  $("run-flags").replaceChildren(...(summary.flags || []).map(
    (flag) => el("li", { className: "run-flag", text: flag })));

  const container = $("handoff");
  container.replaceChildren();
  for (const [code, title] of SECTIONS) {
    const statements = summary.statements.filter((s) => s.section === code);
    const section = el("section", { className: "ipass-section", "data-section": code },
      [el("h3", { text: title })]);
    if (!statements.length) {
      section.append(el("p", { className: "empty", text: "No statement in this section." }));
    } else {
      section.append(el("ul", { className: "statements" }, statements.map((s) => el("li", {
        className: "statement", "data-statement-id": s.id,
        "data-verdict": s.verification ? s.verification.verdict : "NOT_VERIFIED",
      }, [
        el("span", { className: "statement-text", text: s.text }),
        ...verdictBadge(s.verification),
        s.origin && s.origin !== "extractive" ? el("span", { className: "origin",
          text: s.origin }) : null,
        citationList(s.citations, patientId),
      ]))));
    }
    container.append(section);
  }

  const omissions = summary.omissions || [];
  $("omissions-block").hidden = omissions.length === 0;
  $("omissions").replaceChildren(...omissions.map((o) => el("li", { className: "omission" }, [
    el("span", { className: "omission-kind", text: o.kind }),
    el("span", { className: "omission-text", text: o.text }),
    citationList(o.citations, patientId),
  ])));
  $("handoff-panel").hidden = false;
}

async function pollJob(job) {
  const progress = $("job-progress");
  progress.hidden = false;
  let current = job;
  while (current.status === "queued" || current.status === "running") {
    progress.value = current.progress || 0;
    setStatus(`Handoff job ${current.job_id}: ${current.status}`
      + (current.stage ? `, ${current.stage}` : "") + "...");
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
  setStatus(`Requesting the handoff of ${patientId} (extracting and verifying every note)...`);
  try {
    const path = `/v1/patients/${encodeURIComponent(patientId)}/handoff?format=json`;
    const reply = await api(path, {
      method: "POST", body: { format: "json", use_llm: $("use-llm").checked },
    });
    const result = reply.status === 202 ? await pollJob(reply.body) : reply.body;
    if (state.patient !== patientId) return; // the user switched patient meanwhile
    renderHandoff(result.summary);
    setStatus(`Handoff of ${patientId} ready`
      + (result.summary_id != null ? ` (summary ${result.summary_id}).` : " (not stored)."),
      "ok");
  } catch (err) {
    $("job-progress").hidden = true;
    setStatus("Handoff failed: " + err.message, "error");
  } finally {
    button.disabled = !state.patient;
  }
}

// ---- chat ------------------------------------------------------------------------------------

function renderAnswer(question, answer) {
  const sentences = answer.sentences || [];
  const block = el("article", { className: "qa" }, [
    el("p", { className: "question", text: question }),
    ...(answer.flags || []).map((flag) => el("p", { className: "run-flag", text: flag })),
  ]);
  if (!sentences.length) {
    block.append(el("p", { className: "empty", text: "No answer found in the notes." }));
  }
  block.append(el("ul", { className: "answer" }, sentences.map((s) => el("li", {
    className: "answer-sentence",
    "data-verdict": s.verification ? s.verification.verdict : "NOT_VERIFIED",
  }, [
    el("span", { className: "statement-text", text: s.text }),
    ...verdictBadge(s.verification),
    citationList(s.citations, answer.patient_id),
  ]))));
  block.append(el("p", { className: "meta", text: `${answer.mode} answer from `
    + `${(answer.passages || []).length} retrieved passage(s).` }));
  $("chat-answer").prepend(block);
}

async function ask(event) {
  event.preventDefault();
  const input = $("chat-question");
  const question = input.value.trim();
  if (!question || !state.patient) return;
  const button = $("chat-send");
  button.disabled = true;
  setStatus("Searching the notes...");
  try {
    const { body } = await api("/v1/chat", {
      method: "POST", body: { patient_id: state.patient, question },
    });
    renderAnswer(question, body);
    input.value = "";
    setStatus("Answer ready.", "ok");
  } catch (err) {
    setStatus("Chat failed: " + err.message, "error");
  } finally {
    button.disabled = !state.patient;
  }
}

// ---- wiring ----------------------------------------------------------------------------------

function init() {
  $("api-key").value = apiKey();
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
    state.notes = {};
    loadPatients();
  });
  $("reload-patients").addEventListener("click", loadPatients);
  $("patient-select").addEventListener("change", choosePatient);
  $("request-handoff").addEventListener("click", requestHandoff);
  $("chat-form").addEventListener("submit", ask);
  if (apiKey()) loadPatients();
}

document.addEventListener("DOMContentLoaded", init);
