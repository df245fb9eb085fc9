// clinagent clinician page, shared core: DOM helper, API calls, page state and the plain
// words every view shows. Plain scripts, no build step, no external resources.
// Every piece of note or summary text is inserted with textContent (never innerHTML):
// notes and LLM output are untrusted and must not be able to inject markup.
"use strict";

const KEY_STORAGE = "clinagent.apiKey";

// Page state of the chosen patient; reset on a patient change and by "Forget key".
const state = {
  patient: "",
  notes: {}, // patient id -> {note id -> note}
  notesLoading: {},
  banners: {}, // patient id -> banner body
  loaded: {}, // view name -> patient id it was last loaded for
  view: "handoff",
  handoff: null, // {summaryId, summary} shown in the Handoff view
};

// Views register {load(patientId)} here; app.js loads one when its tab is first shown.
const VIEWS = {};

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else if (name.startsWith("data-") || name.startsWith("aria-") || name === "title"
             || name === "role" || name === "for" || name === "scope") {
      node.setAttribute(name, value);
    } else node[name] = value;
  }
  for (const child of children) if (child !== null && child !== undefined && child !== "") {
    node.append(child);
  }
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

function authHeaders(extra = {}) {
  return { Authorization: "Bearer " + apiKey(), ...extra };
}

// An error from the service (RFC 9457 problem details) as one readable line.
async function problemMessage(response) {
  let payload = null;
  try {
    payload = await response.json();
  } catch (err) {
    payload = null;
  }
  const title = (payload && payload.title) || response.statusText || "request failed";
  const detail = payload && payload.detail ? ": " + payload.detail : "";
  return `${response.status} ${title}${detail}`;
}

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// A fetch to the service; errors become ApiError with the HTTP status.
async function api(path, options = {}) {
  const headers = authHeaders({ Accept: "application/json" });
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (!response.ok) throw new ApiError(await problemMessage(response), response.status);
  let payload = null;
  try {
    payload = await response.json();
  } catch (err) {
    payload = null;
  }
  return { status: response.status, body: payload };
}

function patientPath(patientId, tail) {
  return `/v1/patients/${encodeURIComponent(patientId)}/${tail}`;
}

// A view that could not load says so in its own box, in words, with what to do next.
function viewError(what, err) {
  const missing = err instanceof ApiError && (err.status === 404 || err.status === 405)
    && /Not Found|Method Not Allowed/.test(err.message);
  return el("p", { className: "view-error", role: "alert",
    text: missing ? `${what} is not available on this server yet (the route is missing: `
      + `${err.message}). Update clinagent to use this view.`
      : `Could not load ${what.toLowerCase()}: ${err.message}` });
}

// ---- plain words -------------------------------------------------------------------------

const SECTION_TITLES = {
  illness_severity: "Illness severity",
  patient_summary: "Patient summary",
  active_problems: "Active problems",
  medications: "Medications",
  allergies: "Allergies",
  pending: "Pending results and to-dos",
  action_list: "Action list",
  situation_awareness: "Situation awareness and contingency planning",
};

// The verifier's contradiction reasons (agent/schemas/verification.py) in a reader's words.
const REASON_WORDS = {
  negation_flip: "the notes say the opposite (negated)",
  wrong_dose: "the notes give a different dose",
  wrong_reason: "the notes give another reason for this change",
  wrong_route: "the notes give a different route",
  wrong_frequency: "the notes give a different frequency",
  wrong_temporality: "past or resolved in the notes, stated as current (or the reverse)",
  wrong_experiencer: "the notes say this of a family member, not the patient",
  stopped_drug_as_current: "the notes say this drug was stopped",
  ruled_out_as_active: "the notes say this was ruled out",
  wrong_value: "the notes give a different result",
  event_contradicted: "the notes say this did not happen",
  wrong_time: "true earlier, no longer true in later notes",
  wrong_direction: "the notes say the dose changed the other way",
  planned_as_done: "only planned in the notes, stated as done",
  wrong_certainty: "only possible or ruled out in the notes, stated as certain",
  allergen_as_medication: "the patient is allergic to this drug",
};

const OMISSION_WORDS = {
  problem: "problem",
  medication: "medication",
  medication_change: "medication change",
  allergy: "allergy",
  pending: "pending",
  code_status: "code status",
};

// Any code the page has no words for: underscores become spaces, never shown raw.
function plain(code) {
  return String(code == null ? "" : code).replace(/_+/g, " ").trim();
}

// The verifier's one-line details in a reader's words: "1 fact(s)" -> "1 fact", no codes.
function readable(detail) {
  return String(detail || "")
    .replace(/\b(\d+) (\w+)\(s\)/g, (all, n, word) => (n === "1" ? `1 ${word}` : `${n} ${word}s`))
    .replace(/\b(\w+)\(s\)/g, "$1s")
    .replace(/\b([a-z]+(?:_[a-z]+)+)\b/g, (code) => REASON_WORDS[code] || plain(code));
}

function sentenceCase(text) {
  const words = plain(text);
  return words ? words[0].toUpperCase() + words.slice(1) : words;
}

// "20 mg -> 40 mg" with a real arrow.
function arrowed(text) {
  return String(text).replace(/\s*->\s*/g, " \u2192 ");
}

function sectionTitle(code) {
  return SECTION_TITLES[code] || sentenceCase(code);
}

function reasonWords(code) {
  return REASON_WORDS[code] || plain(code);
}

function verdictWords(verification) {
  if (!verification) return "not checked by the verifier";
  switch (verification.verdict) {
    case "SUPPORTED": return "matches the notes";
    case "CONTRADICTED": {
      const reasons = (verification.reasons || []).map(reasonWords);
      return "contradicted by the notes" + (reasons.length ? ": " + reasons.join("; ") : "");
    }
    case "UNSUPPORTED": return "not found in the notes";
    case "NOT_CHECKABLE": return "not checked: no clinical fact in it";
    default: return plain(verification.verdict).toLowerCase();
  }
}

const NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight",
  "nine", "ten"];

function count(n, singular, plural = singular + "s") {
  return `${n} ${n === 1 ? singular : plural}`;
}

function countWord(n) {
  return NUMBER_WORDS[n] || String(n);
}

// "3 statements need review, 38 match the notes, 2 not checked" from a list of verdicts.
function verdictCounts(verifications) {
  const tally = { review: 0, SUPPORTED: 0, unchecked: 0 };
  for (const v of verifications) {
    const verdict = v ? v.verdict : null;
    if (verdict === "CONTRADICTED" || verdict === "UNSUPPORTED") tally.review += 1;
    else if (verdict === "SUPPORTED") tally.SUPPORTED += 1;
    else tally.unchecked += 1;
  }
  const parts = [];
  parts.push(tally.review ? `${count(tally.review, "statement")} need`
    + `${tally.review === 1 ? "s" : ""} review` : "no statement needs review");
  if (tally.SUPPORTED) {
    parts.push(`${tally.SUPPORTED} match${tally.SUPPORTED === 1 ? "es" : ""} the notes`);
  }
  if (tally.unchecked) parts.push(`${tally.unchecked} not checked`);
  return parts.join(", ");
}

// ---- notes -------------------------------------------------------------------------------

// Notes are fetched once per patient (they carry the titles and authors of the citations).
async function patientNotes(patientId) {
  if (state.notes[patientId]) return state.notes[patientId];
  if (!state.notesLoading[patientId]) {
    state.notesLoading[patientId] = api(patientPath(patientId, "notes"))
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

function noteTitle(note) {
  if (note.title) return note.title;
  return sentenceCase(note.note_type === "unknown" ? "note" : note.note_type)
    .replace(/\bEd\b/, "ED");
}

// "2026-03-18" -> "3/18" (the year too when the patient's notes span several years).
function shortDate(iso, withYear = false) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  if (!m) return iso || "";
  const day = `${Number(m[2])}/${Number(m[3])}`;
  return withYear ? `${day}/${m[1]}` : day;
}

function notesSpanYears(patientId) {
  const years = new Set(Object.values(state.notes[patientId] || {})
    .map((n) => (n.date || "").slice(0, 4)).filter(Boolean));
  return years.size > 1;
}

// "Discharge summary, 3/18 (Anselm Grevitt, MD)"; the note id until the notes are loaded.
function noteLabel(patientId, noteId) {
  const note = (state.notes[patientId] || {})[noteId];
  if (!note) return `note ${noteId}`;
  const date = note.date ? ", " + shortDate(note.date, notesSpanYears(patientId)) : "";
  return `${noteTitle(note)}${date}${note.author ? ` (${note.author})` : ""}`;
}
