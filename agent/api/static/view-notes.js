// Notes view: the note browser (list, the note's text with the cited span highlighted and
// scrolled into view) and the search over the patient's notes.
"use strict";

const notesView = { noteId: null, hits: [], query: "" };

// The note text with ``spans`` ({start, end, className}) as <mark>s; overlaps are skipped.
function markedText(text, spans) {
  const parts = [];
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < at || span.end > text.length || span.end <= span.start) continue;
    parts.push(text.slice(at, span.start));
    parts.push(el("mark", { className: span.className, text: text.slice(span.start, span.end) }));
    at = span.end;
  }
  parts.push(text.slice(at));
  return parts;
}

function renderNoteList(patientId) {
  const notes = Object.values(state.notes[patientId] || {});
  $("note-list").replaceChildren(...notes.map((note) => {
    const button = el("button", { type: "button", className: "note-item",
      "data-note-id": note.note_id,
      "aria-current": note.note_id === notesView.noteId ? "true" : null }, [
      el("span", { className: "note-item-title", text: noteTitle(note) }),
      el("span", { className: "note-item-meta", text: [note.date, plain(note.note_type),
        note.author].filter(Boolean).join(" \u00b7 ") }),
    ]);
    button.addEventListener("click", () => openNote(patientId, note.note_id, null));
    return el("li", {}, [button]);
  }));
}

function renderNoteReader(patientId, note, citation) {
  const spans = notesView.hits.filter((h) => h.note_id === note.note_id)
    .filter((h) => !citation || h.start !== citation.start || h.end !== citation.end)
    .map((h) => ({ start: h.start, end: h.end, className: "hit" }));
  if (citation) spans.push({ start: citation.start, end: citation.end, className: "cited" });
  $("note-reader").replaceChildren(
    el("h3", { className: "note-reader-title", text: noteTitle(note) }),
    el("p", { className: "meta", text: [note.date, plain(note.note_type), note.author,
      `note ${note.note_id}`].filter(Boolean).join(" \u00b7 ") }),
    el("pre", { className: "note-text", tabIndex: 0, "aria-label": "note text",
      "data-note-id": note.note_id }, markedText(note.text, spans)),
  );
}

// Open ``noteId`` in the note browser; ``citation`` (or null) is highlighted and scrolled to.
async function openNote(patientId, noteId, citation) {
  showView("notes", { load: false });
  try {
    const notes = await patientNotes(patientId);
    const note = notes[noteId];
    if (!note) {
      $("note-reader").replaceChildren(el("p", { className: "error",
        text: `Note ${noteId} is not stored.` }));
      return;
    }
    notesView.noteId = noteId;
    renderNoteList(patientId);
    state.loaded.notes = patientId;
    renderNoteReader(patientId, note, citation);
    const mark = $("note-reader").querySelector("mark.cited") || $("note-reader")
      .querySelector("mark.hit");
    if (mark) mark.scrollIntoView({ block: "center" });
    else $("note-reader").scrollIntoView({ block: "start" });
  } catch (err) {
    $("note-reader").replaceChildren(viewError("The notes", err));
  }
}

function hitItem(patientId, hit) {
  const from = hit.start - hit.snippet_start;
  const to = hit.end - hit.snippet_start;
  const snippet = hit.snippet || "";
  const button = el("button", { type: "button", className: "hit-link",
    "data-note-id": hit.note_id, "data-start": String(hit.start), "data-end": String(hit.end) },
  [
    el("span", { className: "hit-note", text: noteLabel(patientId, hit.note_id) }),
    el("span", { className: "hit-snippet" }, from >= 0 && to <= snippet.length
      ? markedText(snippet, [{ start: from, end: to, className: "hit" }]) : [snippet]),
  ]);
  button.addEventListener("click", () => openNote(patientId, hit.note_id,
    { note_id: hit.note_id, start: hit.start, end: hit.end }));
  return el("li", {}, [button]);
}

async function searchNotes(event) {
  event.preventDefault();
  const patientId = state.patient;
  const query = $("search-query").value.trim();
  const box = $("search-results");
  if (!patientId || !query) return;
  box.replaceChildren(el("p", { className: "meta", text: "Searching..." }));
  try {
    await patientNotes(patientId);
    const { body } = await api(patientPath(patientId,
      `search?q=${encodeURIComponent(query)}&limit=50`));
    if (state.patient !== patientId) return;
    notesView.hits = body.hits;
    notesView.query = query;
    const shown = body.hits.length < body.total ? ` (the first ${body.hits.length} shown)` : "";
    box.replaceChildren(
      el("p", { className: "search-count", text: body.total
        ? `"${query}": ${count(body.total, "match", "matches")} in the notes${shown}.`
        : `"${query}" is not in the notes.` }),
      el("ul", { className: "hits" }, body.hits.map((h) => hitItem(patientId, h))),
    );
    const current = notesView.noteId && state.notes[patientId][notesView.noteId];
    if (current) renderNoteReader(patientId, current, null);
  } catch (err) {
    box.replaceChildren(viewError("The search", err));
  }
}

function resetNotesView() {
  notesView.noteId = null;
  notesView.hits = [];
  $("note-list").replaceChildren();
  $("search-results").replaceChildren();
  $("note-reader").replaceChildren(el("p", { className: "empty", text: "Choose a note." }));
}

VIEWS.notes = {
  async load(patientId) {
    try {
      await patientNotes(patientId);
      if (state.patient !== patientId) return;
      renderNoteList(patientId);
      const first = Object.keys(state.notes[patientId])[0];
      if (!notesView.noteId && first) await openNote(patientId, first, null);
    } catch (err) {
      $("note-reader").replaceChildren(viewError("The notes", err));
      throw err;
    }
  },
};
