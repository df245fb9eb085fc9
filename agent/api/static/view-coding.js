// Coding view: a coder reviews a note's ICD-10 suggestions (GET /v1/notes/{id}/codes) beside
// the note text with their evidence highlighted, accepts / rejects / replaces them or adds
// a missed code (code search: GET /v1/coding/codes), and submits the decisions with the time
// spent on the note (POST /v1/notes/{id}/codes/decisions). The review queue
// (GET /v1/coding/queue) and the dashboard (GET /v1/coding/metrics) sit beside it.
// Needs a key with ``read`` (the note text) and ``code`` on the note's patient.
"use strict";

// The service refuses a longer sitting (MAX_REVIEW_SECONDS): a page left open overnight.
const MAX_REVIEW_SECONDS = 8 * 3600;
const SEARCH_DELAY_MS = 250;

const codingView = {
  patientId: "",
  noteId: null,
  codes: null, // the NoteCodes of the open note
  decisions: {}, // suggestion index -> {decision, replacement, replacementText}
  adds: [], // {code, system, description, concept, section}
  current: -1, // the selected suggestion
  search: null, // {mode: "replace" | "add", index}
  submitted: false,
  activeMs: 0, // review time while the page is visible
  visibleSince: null,
  pending: null, // a queue note of another patient, opened once that patient is chosen
  searchSeq: 0,
  searchTimer: null,
  loadSeq: 0,
};

const SHORTCUTS = [
  ["j", "next suggestion"],
  ["k", "previous suggestion"],
  ["a", "accept the selected suggestion"],
  ["r", "reject it"],
  ["e", "replace it: opens the code search"],
  ["u", "undo the decision on it"],
  ["n", "add a missed code: opens the code search"],
  ["x", "reject every suggestion still undecided that needs review"],
  ["Shift+S", "submit the note's decisions"],
  ["Esc", "close the code search or this help"],
  ["?", "show or hide this help"],
];

const MATCH_WORDS = {
  vocabulary: "vocabulary match",
  combination: "combination code (both conditions in the note)",
  specific: "more specific code supported by the text",
  learned: "learned from this site's coders",
};
const SPECIFICITY_WORDS = {
  billable: "billable code",
  unspecified: "unspecified code (the note says nothing more specific)",
  combination: "combination code",
};
const EXCLUDED_WORDS = {
  excludes1: "Excludes1 with",
  combination: "part of the combination code",
  not_billable: "a category: replaced by",
};
const DECISION_WORDS = { accept: "accepted", reject: "rejected", replace: "replaced" };

// ---- review time -------------------------------------------------------------------------

function startReviewClock() {
  codingView.activeMs = 0;
  codingView.visibleSince = document.visibilityState === "hidden" ? null : performance.now();
}

function reviewSeconds() {
  let ms = codingView.activeMs;
  if (codingView.visibleSince !== null) ms += performance.now() - codingView.visibleSince;
  return Math.min(MAX_REVIEW_SECONDS, Math.round(ms / 100) / 10);
}

// Only the time the page is visible counts: a tab left in the background is not review.
function onVisibility() {
  if (codingView.noteId === null || codingView.submitted) return;
  if (document.visibilityState === "hidden" && codingView.visibleSince !== null) {
    codingView.activeMs += performance.now() - codingView.visibleSince;
    codingView.visibleSince = null;
  } else if (document.visibilityState !== "hidden" && codingView.visibleSince === null) {
    codingView.visibleSince = performance.now();
  }
}

function durationWords(seconds) {
  if (seconds === null || seconds === undefined) return "none recorded yet";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

function percent(value) {
  return value === null || value === undefined ? "no decision yet"
    : `${Math.round(value * 100)}%`;
}

// ---- note text with the evidence ---------------------------------------------------------

// The note text with every suggestion's evidence marked; the selected one's as "cited".
function codingMarks(text, codes, selected) {
  const chosen = [];
  const others = [];
  codes.suggestions.forEach((s, index) => {
    for (const c of s.evidence) {
      if (c.note_id !== codingView.noteId) continue;
      (index === selected ? chosen : others).push({ start: c.start, end: c.end, index });
    }
  });
  const spans = [...chosen, ...others.filter((o) => !chosen.some(
    (c) => o.start < c.end && c.start < o.end))].sort((a, b) => a.start - b.start);
  const parts = [];
  let at = 0;
  for (const span of spans) {
    if (span.start < at || span.end > text.length || span.end <= span.start) continue;
    parts.push(text.slice(at, span.start));
    const s = codes.suggestions[span.index];
    const mark = el("mark", {
      className: span.index === selected ? "cited code-span" : "hit code-span",
      "data-index": String(span.index), "data-start": String(span.start),
      "data-end": String(span.end), title: `${s.code} ${s.description}`,
      text: text.slice(span.start, span.end),
    });
    mark.addEventListener("click", () => selectSuggestion(span.index, { scroll: false }));
    parts.push(mark);
    at = span.end;
  }
  parts.push(text.slice(at));
  return parts;
}

function renderText() {
  const note = (state.notes[codingView.patientId] || {})[codingView.noteId];
  if (!note || !codingView.codes) return;
  $("coding-text").replaceChildren(...codingMarks(note.text, codingView.codes,
    codingView.current));
}

// ---- suggestion list ---------------------------------------------------------------------

function rankReasonWords(s) {
  const r = s.rank_reasons;
  const words = [MATCH_WORDS[r.match_type] || plain(r.match_type),
    SPECIFICITY_WORDS[r.specificity] || plain(r.specificity)];
  if (r.section) words.push(`section: ${plain(r.section)}`);
  words.push(`stated as ${plain(r.assertion)}`);
  words.push(count(r.mention_count, "mention"));
  if (r.mention_rank > 0) words.push("an alternative reading of its mention");
  if (r.ranker_adjustment) {
    words.push(`coders' decisions moved it ${r.ranker_adjustment > 0 ? "up" : "down"} `
      + `${Math.abs(r.ranker_adjustment).toFixed(2)}`);
  }
  for (const n of r.notes || []) words.push(readable(n));
  return words.join("; ");
}

function decisionOf(index) {
  return codingView.decisions[index] || null;
}

function decisionText(s, index) {
  const d = decisionOf(index);
  if (!d) {
    return s.route === "review" ? "Needs your decision."
      : "Pre-accepted: submitted as accepted unless you change it.";
  }
  if (d.decision === "replace") {
    return `Replaced by ${d.replacement}${d.replacementText ? ` (${d.replacementText})` : ""}.`;
  }
  return `${sentenceCase(DECISION_WORDS[d.decision])}.`;
}

function actionButton(action, label, s, index) {
  const d = decisionOf(index);
  const button = el("button", { type: "button", className: `secondary code-action action-${action}`,
    text: label, "data-action": action, "aria-label": `${label} ${s.code}`,
    "aria-pressed": String(Boolean(d && d.decision === action)),
    disabled: codingView.submitted });
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    selectSuggestion(index, { scroll: true, focus: false });
    if (action === "replace") openSearch("replace", index);
    else decide(index, action);
  });
  return button;
}

function suggestionItem(s, index) {
  const d = decisionOf(index);
  const evidence = s.evidence.filter((c) => c.note_id === codingView.noteId);
  const mentions = [...new Set(s.mentions.map((m) => m.text))];
  const item = el("li", {
    className: "code-item", tabIndex: -1, "data-index": String(index), "data-code": s.code,
    "data-system": s.system, "data-route": s.route, "data-score": String(s.score),
    "data-decision": d ? d.decision : "",
    "aria-current": index === codingView.current ? "true" : null,
  }, [
    el("div", { className: "code-head" }, [
      el("span", { className: "code-code", text: s.code }),
      " ",
      el("span", { className: "code-desc", text: s.description }),
    ]),
    el("div", { className: "code-meta" }, [
      el("span", { className: `code-route route-${s.route}`,
        text: s.route === "review" ? "needs review" : "pre-accepted" }),
      el("span", { className: "code-score",
        text: `${s.system} \u00b7 score ${s.score.toFixed(2)} \u00b7 confidence `
          + `${Math.round(s.confidence * 100)}%` }),
    ]),
    el("p", { className: "code-reasons", text: `Why here: ${rankReasonWords(s)}.` }),
    el("p", { className: "code-evidence", text: evidence.length
      ? `Evidence: ${mentions.map((m) => `\u201c${m}\u201d`).join(", ")} `
        + `(${count(evidence.length, "passage")} highlighted)`
      : "Evidence in another note of the encounter." }),
    el("p", { className: "code-decision", text: decisionText(s, index) }),
    el("div", { className: "code-actions", role: "group", "aria-label": `Decision on ${s.code}` }, [
      actionButton("accept", "Accept", s, index),
      actionButton("reject", "Reject", s, index),
      actionButton("replace", "Replace", s, index),
    ]),
  ]);
  item.addEventListener("click", () => selectSuggestion(index, { scroll: true, focus: false }));
  return item;
}

function renderSuggestions() {
  const codes = codingView.codes;
  const list = $("coding-suggestions");
  if (!codes.suggestions.length) {
    list.replaceChildren(el("li", { className: "empty",
      text: "No code suggested for this note: add the codes it supports." }));
  } else {
    list.replaceChildren(...codes.suggestions.map(suggestionItem));
  }
  renderAdded();
  for (const id of ["coding-add", "coding-submit", "coding-reject-rest"]) {
    $(id).disabled = codingView.submitted;
  }
}

function renderAdded() {
  const items = codingView.adds.map((a, i) => {
    const remove = el("button", { type: "button", className: "link-button",
      text: "remove", "aria-label": `Remove the added code ${a.code}`,
      disabled: codingView.submitted });
    remove.addEventListener("click", () => {
      codingView.adds.splice(i, 1);
      renderAdded();
      $("coding-add").focus();
    });
    return el("li", { className: "added-item", "data-code": a.code, "data-system": a.system }, [
      el("span", { className: "code-code", text: a.code }),
      " ",
      el("span", { className: "code-desc", text: a.description }),
      el("span", { className: "meta", text: a.concept ? ` for \u201c${a.concept}\u201d` : "" }),
      remove,
    ]);
  });
  $("coding-added").replaceChildren(...(items.length ? items
    : [el("li", { className: "empty", text: "None yet." })]));
}

function selectSuggestion(index, { scroll = true, focus = true } = {}) {
  const total = codingView.codes ? codingView.codes.suggestions.length : 0;
  if (!total) return;
  codingView.current = Math.max(0, Math.min(total - 1, index));
  for (const item of $("coding-suggestions").querySelectorAll("li.code-item")) {
    const on = Number(item.dataset.index) === codingView.current;
    if (on) item.setAttribute("aria-current", "true");
    else item.removeAttribute("aria-current");
  }
  renderText();
  const item = $("coding-suggestions").querySelector(
    `li.code-item[data-index="${codingView.current}"]`);
  if (focus && item) item.focus({ preventScroll: false });
  const mark = $("coding-text").querySelector("mark.cited");
  if (scroll && mark) mark.scrollIntoView({ block: "center" });
}

function decide(index, decision, replacement = null, replacementText = "") {
  if (codingView.submitted || !codingView.codes) return;
  const s = codingView.codes.suggestions[index];
  if (!s) return;
  if (decision === null) delete codingView.decisions[index];
  else codingView.decisions[index] = { decision, replacement, replacementText };
  renderSuggestions();
  selectSuggestion(index, { scroll: false });
  setCodingStatus(decision === null ? `Decision on ${s.code} undone.`
    : `${s.code} ${DECISION_WORDS[decision]}${replacement ? ` by ${replacement}` : ""}.`);
}

// The wrong readings the suggester offers as alternatives are rejected in one go once the
// coder has picked the right ones (the rejections teach the re-ranker too).
function rejectRest() {
  if (codingView.submitted || !codingView.codes) return;
  const rest = [];
  codingView.codes.suggestions.forEach((s, index) => {
    if (s.route === "review" && !decisionOf(index)) rest.push(index);
  });
  for (const index of rest) codingView.decisions[index] = { decision: "reject" };
  renderSuggestions();
  selectSuggestion(Math.max(0, codingView.current), { scroll: false });
  setCodingStatus(rest.length ? `${count(rest.length, "suggestion")} rejected.`
    : "No undecided suggestion needs review.");
}

function setCodingStatus(text, kind = "") {
  $("coding-status").textContent = text;
  $("coding-status").className = "status " + kind;
}

// ---- code search -------------------------------------------------------------------------

function conceptOptions() {
  const seen = new Map();
  for (const s of codingView.codes.suggestions) {
    for (const m of s.mentions) if (!seen.has(m.concept)) seen.set(m.concept, m.section || null);
  }
  return seen;
}

function openSearch(mode, index = codingView.current) {
  if (codingView.submitted || !codingView.codes) return;
  const s = mode === "replace" ? codingView.codes.suggestions[index] : null;
  if (mode === "replace" && !s) return;
  codingView.search = { mode, index };
  const form = $("coding-search");
  form.hidden = false;
  $("coding-search-title").textContent = s ? `Replace ${s.code} (${s.description}) with`
    : "Add a missed code";
  const system = $("coding-search-system");
  system.value = s ? s.system : system.value;
  system.disabled = Boolean(s); // a replacement is a code of the same system
  $("coding-search-concept-row").hidden = Boolean(s);
  if (!s) {
    const current = codingView.codes.suggestions[codingView.current];
    const concepts = conceptOptions();
    $("coding-search-concept").replaceChildren(
      el("option", { value: "", text: "no mention (a code the note supports elsewhere)" }),
      ...[...concepts.keys()].map((c) => el("option", { value: c, text: c })));
    $("coding-search-concept").value = current && current.mentions.length
      ? current.mentions[0].concept : "";
  }
  $("coding-search-results").replaceChildren();
  $("coding-search-count").textContent = "";
  const query = $("coding-search-q");
  query.value = "";
  query.focus();
}

function closeSearch({ restoreFocus = true } = {}) {
  const search = codingView.search;
  codingView.search = null;
  clearTimeout(codingView.searchTimer);
  $("coding-search").hidden = true;
  if (!restoreFocus) return;
  if (search && search.mode === "replace") selectSuggestion(search.index, { scroll: false });
  else $("coding-add").focus();
}

async function runSearch() {
  const q = $("coding-search-q").value.trim();
  const system = $("coding-search-system").value;
  const seq = ++codingView.searchSeq;
  if (!q) {
    $("coding-search-results").replaceChildren();
    $("coding-search-count").textContent = "Type a code or words.";
    return;
  }
  $("coding-search-count").textContent = "Searching...";
  try {
    const { body } = await api(`/v1/coding/codes?q=${encodeURIComponent(q)}`
      + `&system=${encodeURIComponent(system)}&limit=20`);
    if (seq !== codingView.searchSeq || !codingView.search) return;
    $("coding-search-count").textContent = body.matches.length
      ? `${count(body.matches.length, "code")} ${body.match === "code" ? "starting with"
        : "matching"} \u201c${q}\u201d.` : `No ${system} code matches \u201c${q}\u201d.`;
    $("coding-search-results").replaceChildren(...body.matches.map(searchResult));
  } catch (err) {
    if (seq !== codingView.searchSeq) return;
    $("coding-search-count").textContent = "";
    $("coding-search-results").replaceChildren(el("li", {}, [viewError("The code search", err)]));
  }
}

function searchResult(match) {
  // The visible text is the accessible name (code, title, "category"): no aria-label.
  const button = el("button", { type: "button", className: "code-result",
    "data-code": match.code, "data-system": match.system, disabled: !match.billable }, [
    el("span", { className: "code-code", text: match.code }),
    " ",
    el("span", { className: "code-desc", text: match.description }),
    match.billable ? null : " ",
    match.billable ? null : el("span", { className: "code-category",
      text: "category: pick a code under it" }),
  ]);
  button.addEventListener("click", () => pickCode(match));
  return el("li", {}, [button]);
}

function pickCode(match) {
  const search = codingView.search;
  if (!search) return;
  if (search.mode === "replace") {
    closeSearch({ restoreFocus: false });
    decide(search.index, "replace", match.code, match.description);
    selectSuggestion(search.index, { scroll: false });
    return;
  }
  const concept = $("coding-search-concept").value;
  const section = concept ? conceptOptions().get(concept) : null;
  if (!codingView.adds.some((a) => a.code === match.code && a.system === match.system)) {
    codingView.adds.push({ code: match.code, system: match.system,
      description: match.description, concept, section });
  }
  closeSearch();
  renderAdded();
  setCodingStatus(`${match.code} added.`);
}

// ---- submit ------------------------------------------------------------------------------

function decisionsPayload() {
  const codes = codingView.codes;
  const version = codes.provenance.ranker_version;
  const out = [];
  const undecided = [];
  codes.suggestions.forEach((s, index) => {
    const d = decisionOf(index);
    // A pre-accepted suggestion the coder left alone is accepted: it is billed as it is.
    const decision = d ? d.decision : s.route === "pre-accepted" ? "accept" : null;
    if (!decision) {
      undecided.push(index);
      return;
    }
    const mention = s.mentions[0] || {};
    const row = { concept: mention.concept || "", section: mention.section || null,
      system: s.system, code: s.code, decision, score: s.score, ranker_version: version };
    if (decision === "replace") row.replacement = d.replacement;
    out.push(row);
  });
  for (const a of codingView.adds) {
    out.push({ concept: a.concept || "", section: a.section || null, system: a.system,
      code: a.code, decision: "add", ranker_version: version });
  }
  return { decisions: out, undecided };
}

async function submitDecisions() {
  if (!codingView.codes || codingView.submitted) return;
  const { decisions, undecided } = decisionsPayload();
  if (undecided.length) {
    setCodingStatus(`Decide the ${count(undecided.length, "suggestion")} routed to review `
      + "first (accept, reject or replace).", "error");
    selectSuggestion(undecided[0]);
    return;
  }
  if (!decisions.length) {
    setCodingStatus("Nothing to submit: add the codes this note supports.", "warn");
    return;
  }
  const noteId = codingView.noteId;
  const seconds = reviewSeconds();
  $("coding-submit").disabled = true;
  setCodingStatus("Submitting...");
  try {
    const { body } = await api(`/v1/notes/${encodeURIComponent(noteId)}/codes/decisions`,
      { method: "POST", body: { decisions, review_seconds: seconds } });
    if (codingView.noteId !== noteId) return;
    codingView.submitted = true;
    codingView.visibleSince = null;
    renderSuggestions();
    const tally = {};
    for (const d of decisions) tally[d.decision] = (tally[d.decision] || 0) + 1;
    const words = Object.entries(tally).map(([k, n]) => `${n} ${k === "add" ? "added"
      : DECISION_WORDS[k]}`).join(", ");
    setCodingStatus(`Stored ${count(body.stored, "decision")} (${words}) for note ${noteId} `
      + `after ${durationWords(seconds)} of review.`, "ok");
    $("coding-head").dataset.submitted = "true";
    await refreshPanels();
  } catch (err) {
    $("coding-submit").disabled = false;
    setCodingStatus("Could not store the decisions: " + err.message, "error");
  }
}

// ---- notes, queue and dashboard ----------------------------------------------------------

function noteButton(patientId, noteId, label, meta, extra = {}) {
  const button = el("button", { type: "button", className: "note-item",
    "data-note-id": noteId, "data-patient-id": patientId,
    "aria-current": noteId === codingView.noteId ? "true" : null, ...extra }, [
    el("span", { className: "note-item-title", text: label }),
    el("span", { className: "note-item-meta", text: meta }),
  ]);
  button.addEventListener("click", () => openCodingNote(patientId, noteId));
  return el("li", {}, [button]);
}

function renderPatientNotes(patientId) {
  const notes = Object.values(state.notes[patientId] || {});
  $("coding-notes").replaceChildren(...(notes.length ? notes.map((n) => noteButton(patientId,
    n.note_id, noteTitle(n), [n.date, `note ${n.note_id}`].filter(Boolean).join(" \u00b7 ")))
    : [el("li", { className: "empty", text: state.patient ? "No stored note."
      : "Choose a patient to list its notes." })]));
}

async function refreshQueue() {
  try {
    const { body } = await api("/v1/coding/queue?limit=50");
    $("coding-queue-count").textContent = body.total
      ? `${count(body.total, "note")} waiting for review${body.notes.length < body.total
        ? ` (the first ${body.notes.length} shown)` : ""}.` : "No note waiting for review.";
    $("coding-queue").replaceChildren(...body.notes.map((n) => noteButton(n.patient_id,
      n.note_id, `${plain(n.note_type)}, note ${n.note_id}`,
      `patient ${n.patient_id}${n.date ? ` \u00b7 ${n.date}` : ""} \u00b7 `
        + `${n.review_count} of ${count(n.suggestion_count, "code")} to review`,
      { "data-queue": "true" })));
  } catch (err) {
    $("coding-queue-count").textContent = "";
    $("coding-queue").replaceChildren(el("li", {}, [viewError("The review queue", err)]));
  }
}

function stat(name, label, value, words) {
  return el("div", { className: "coding-stat", "data-stat": name,
    "data-value": value === null || value === undefined ? "" : String(value) }, [
    el("dt", { text: label }),
    el("dd", { text: words }),
  ]);
}

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

// Precision@1 and @5 per day as two lines (0 to 100%); the table below says the same in words.
function trendChart(days) {
  const width = 480;
  const height = 160;
  const pad = 32;
  const xs = (i) => (days.length === 1 ? width / 2 : pad + (i * (width - 2 * pad))
    / (days.length - 1));
  const ys = (v) => height - pad / 2 - v * (height - pad);
  const parts = [svg("line", { x1: pad, y1: ys(0), x2: width - pad, y2: ys(0),
    class: "trend-axis" })];
  for (const v of [0, 0.5, 1]) {
    const label = svg("text", { x: 2, y: ys(v) + 4, class: "trend-label" });
    label.textContent = `${v * 100}%`;
    parts.push(label);
  }
  for (const [key, cls] of [["precision_at_1", "trend-p1"], ["precision_at_5", "trend-p5"]]) {
    const points = days.map((d, i) => [i, d[key]]).filter(([, v]) => v !== null && v !== undefined);
    if (points.length > 1) {
      parts.push(svg("polyline", { class: `trend-line ${cls}`,
        points: points.map(([i, v]) => `${xs(i)},${ys(v)}`).join(" ") }));
    }
    for (const [i, v] of points) {
      const dot = svg("circle", { cx: xs(i), cy: ys(v), r: 4, class: `trend-dot ${cls}` });
      const title = svg("title");
      title.textContent = `${days[i].date}: ${key === "precision_at_1" ? "precision@1"
        : "precision@5"} ${percent(v)}`;
      dot.append(title);
      parts.push(dot);
    }
  }
  const words = days.map((d) => `${d.date}: precision@1 ${percent(d.precision_at_1)}, `
    + `precision@5 ${percent(d.precision_at_5)}`).join("; ");
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "trend-chart", role: "img",
    "aria-label": `Precision over time. ${words}` }, parts);
}

function trendTable(days) {
  return el("div", { className: "table-scroll", role: "region", tabIndex: 0,
    "aria-label": "Coding decisions per day" }, [
    el("table", { className: "data-table coding-days" }, [
      el("caption", { text: "Decisions per day" }),
      el("thead", {}, [el("tr", {}, ["Date", "Decisions", "Accepted", "Precision@1",
        "Precision@5"].map((h) => el("th", { scope: "col", text: h })))]),
      el("tbody", {}, days.map((d) => el("tr", { "data-date": d.date }, [
        el("th", { scope: "row", text: d.date }),
        el("td", { text: String(d.decisions) }),
        el("td", { text: String(d.accepted) }),
        el("td", { text: percent(d.precision_at_1) }),
        el("td", { text: percent(d.precision_at_5) }),
      ]))),
    ]),
  ]);
}

async function refreshDashboard() {
  try {
    const { body: m } = await api("/v1/coding/metrics");
    $("coding-stats").replaceChildren(
      stat("decisions", "Decisions", m.decisions, String(m.decisions)),
      stat("decided_notes", "Notes decided", m.decided_notes, String(m.decided_notes)),
      stat("accept_rate", "Accept rate", m.accept_rate, percent(m.accept_rate)),
      stat("precision_at_1", "Precision@1", m.precision_at_1, percent(m.precision_at_1)),
      stat("precision_at_5", "Precision@5", m.precision_at_5, percent(m.precision_at_5)),
      stat("queue_size", "Queue size", m.queue_size, count(m.queue_size, "note")),
      stat("median_review_seconds", "Median review time per note", m.median_review_seconds,
        durationWords(m.median_review_seconds)),
      stat("reviewed_notes", "Notes with a review time", m.reviewed_notes,
        String(m.reviewed_notes)),
      stat("ranker_version", "Ranker", m.ranker_version, m.ranker_version),
    );
    const days = m.per_day || [];
    $("coding-trend").replaceChildren(...(days.length ? [el("figure", {
      className: "trend-figure" }, [trendChart(days), el("figcaption", { className: "meta" }, [
      el("span", { className: "trend-key trend-key-p1", text: "precision@1" }),
      el("span", { className: "trend-key trend-key-p5", text: "precision@5" }),
      " per day"])]), trendTable(days)]
      : [el("p", { className: "empty", text: "No decision yet: the trend starts with the "
        + "first submitted note." })]));
  } catch (err) {
    $("coding-stats").replaceChildren();
    $("coding-trend").replaceChildren(viewError("The coding dashboard", err));
  }
}

function refreshPanels() {
  return Promise.all([refreshQueue(), refreshDashboard()]);
}

// ---- opening a note ----------------------------------------------------------------------

async function openCodingNote(patientId, noteId) {
  if (patientId !== state.patient) {
    // The banner must name the patient whose note is coded: choose that patient first.
    const select = $("patient-select");
    if (!select.querySelector(`option[value="${CSS.escape(patientId)}"]`)) {
      setCodingStatus(`Patient ${patientId} is not in the patient list of this key.`, "error");
      return;
    }
    codingView.pending = noteId;
    select.value = patientId;
    choosePatient();
    return;
  }
  const seq = ++codingView.loadSeq;
  closeSearch({ restoreFocus: false });
  $("coding-head").replaceChildren(el("p", { className: "meta", text: "Loading the note..." }));
  try {
    const [notes, { body: codes }] = await Promise.all([patientNotes(patientId),
      api(`/v1/notes/${encodeURIComponent(noteId)}/codes`)]);
    if (seq !== codingView.loadSeq || state.patient !== patientId) return;
    const note = notes[noteId];
    if (!note) throw new Error(`note ${noteId} is not stored`);
    Object.assign(codingView, { patientId, noteId, codes, decisions: {}, adds: [],
      current: codes.suggestions.length ? 0 : -1, submitted: false });
    const review = codes.suggestions.filter((s) => s.route === "review").length;
    $("coding-head").replaceChildren(
      el("h3", { className: "note-reader-title", text: noteTitle(note) }),
      el("p", { className: "meta", text: [note.date, plain(note.note_type), note.author,
        `note ${noteId}`].filter(Boolean).join(" \u00b7 ") }),
      el("p", { className: "meta", text: `${count(codes.suggestions.length, "suggested code")}, `
        + `${review} routed to review; ranker ${codes.provenance.ranker_version}, `
        + `${plain(codes.provenance.guideline)} guideline.` }),
      codes.excluded.length ? el("p", { className: "meta coding-excluded",
        text: "Kept out by the coding conventions: " + codes.excluded.map((x) => `${x.code} `
          + `(${EXCLUDED_WORDS[x.reason] || plain(x.reason)}${x.kept ? ` ${x.kept}` : ""})`)
          .join(", ") + "." }) : null,
    );
    $("coding-head").dataset.noteId = noteId;
    delete $("coding-head").dataset.submitted;
    $("coding-work").hidden = false;
    setCodingStatus("");
    renderSuggestions();
    renderText();
    for (const b of document.querySelectorAll("#view-coding .note-item")) {
      if (b.dataset.noteId === noteId) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    }
    startReviewClock();
    if (codes.suggestions.length) selectSuggestion(0);
    else $("coding-add").focus();
  } catch (err) {
    if (seq !== codingView.loadSeq) return;
    $("coding-work").hidden = true;
    $("coding-head").replaceChildren(viewError("The note's codes", err));
  }
}

function resetCodingView() {
  Object.assign(codingView, { patientId: "", noteId: null, codes: null, decisions: {},
    adds: [], current: -1, search: null, submitted: false, visibleSince: null });
  $("coding-work").hidden = true;
  $("coding-search").hidden = true;
  $("coding-head").replaceChildren(el("p", { className: "empty",
    text: "Choose a note from the review queue or the patient's notes." }));
  delete $("coding-head").dataset.noteId;
  // The queue and the dashboard too: the next show() fetches them for the key in use.
  for (const id of ["coding-text", "coding-suggestions", "coding-added", "coding-notes",
    "coding-status", "coding-queue", "coding-queue-count", "coding-stats", "coding-trend"]) {
    $(id).replaceChildren();
  }
}

// ---- keyboard ----------------------------------------------------------------------------

function isTyping(target) {
  return Boolean(target && (target.isContentEditable
    || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)));
}

function toggleHelp(show) {
  const help = $("coding-help");
  const open = show === undefined ? help.hidden : show;
  help.hidden = !open;
  $("coding-help-toggle").setAttribute("aria-expanded", String(open));
}

// Single-key shortcuts act only while the coding view is shown and the focus is in it (or
// on the page itself), never while typing, and can be switched off (WCAG 2.1.4).
function onCodingKey(event) {
  if ($("view-coding").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (event.key === "Escape") {
    if (codingView.search) {
      event.preventDefault();
      closeSearch();
    } else if (!$("coding-help").hidden) {
      event.preventDefault();
      toggleHelp(false);
    }
    return;
  }
  if (isTyping(target) || !$("coding-keys").checked) return;
  if (target !== document.body && !$("view-coding").contains(target)) return;
  const actions = {
    j: () => selectSuggestion(codingView.current + 1),
    k: () => selectSuggestion(codingView.current - 1),
    a: () => decide(codingView.current, "accept"),
    r: () => decide(codingView.current, "reject"),
    u: () => decide(codingView.current, null),
    e: () => openSearch("replace", codingView.current),
    n: () => openSearch("add"),
    x: () => rejectRest(),
    S: () => submitDecisions(),
    "?": () => toggleHelp(),
  };
  const action = actions[event.key];
  if (!action) return;
  if (event.key !== "?" && !codingView.codes) return;
  event.preventDefault();
  action();
}

// ---- wiring ------------------------------------------------------------------------------

function initCodingView() {
  $("coding-help-keys").replaceChildren(...SHORTCUTS.map(([key, words]) => el("div", {}, [
    el("dt", {}, [el("kbd", { text: key })]), el("dd", { text: words })])));
  $("coding-help-toggle").addEventListener("click", () => toggleHelp());
  $("coding-add").addEventListener("click", () => openSearch("add"));
  $("coding-submit").addEventListener("click", submitDecisions);
  $("coding-reject-rest").addEventListener("click", rejectRest);
  $("coding-refresh").addEventListener("click", refreshPanels);
  $("coding-search-cancel").addEventListener("click", () => closeSearch());
  $("coding-search").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(codingView.searchTimer);
    runSearch();
  });
  $("coding-search-q").addEventListener("input", () => {
    clearTimeout(codingView.searchTimer);
    if ($("coding-search-q").value.trim().length >= 2) {
      codingView.searchTimer = setTimeout(runSearch, SEARCH_DELAY_MS);
    }
  });
  $("coding-search-system").addEventListener("change", runSearch);
  document.addEventListener("keydown", onCodingKey);
  document.addEventListener("visibilitychange", onVisibility);
}

VIEWS.coding = {
  // Every time the view is shown: the queue and the dashboard span every patient of the key.
  show() {
    if (!apiKey()) return;
    refreshPanels();
    if (!state.patient) renderPatientNotes("");
  },
  async load(patientId) {
    try {
      await patientNotes(patientId);
      if (state.patient !== patientId) return;
      renderPatientNotes(patientId);
      const pending = codingView.pending;
      codingView.pending = null;
      if (pending && state.notes[patientId][pending]) await openCodingNote(patientId, pending);
    } catch (err) {
      $("coding-notes").replaceChildren(el("li", {}, [viewError("The notes", err)]));
      throw err;
    }
  },
};

document.addEventListener("DOMContentLoaded", initCodingView);
