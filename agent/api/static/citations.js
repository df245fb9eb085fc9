// Citation chips: "Discharge summary, 3/18 (Dr. X)"; opening one shows the passage with the
// cited span highlighted and a link into the note browser.
"use strict";

const CONTEXT_CHARS = 160; // characters shown around a cited span

function passageView(patientId, note, citation) {
  const text = note.text;
  if (citation.end > text.length) {
    return el("p", { className: "error",
      text: `This citation points outside the note ${note.note_id}: the note changed since.` });
  }
  const from = Math.max(0, citation.start - CONTEXT_CHARS);
  const to = Math.min(text.length, citation.end + CONTEXT_CHARS);
  const caption = [noteTitle(note), note.date, note.author].filter(Boolean).join(", ");
  const open = el("button", { type: "button", className: "link-button open-note",
    text: "open in note browser" });
  open.addEventListener("click", () => openNote(patientId, note.note_id, citation));
  return el("figure", { className: "passage" }, [
    el("figcaption", {}, [el("span", { text: caption + " " }), open]),
    el("blockquote", { className: "passage-text" }, [
      from > 0 ? "\u2026" : "",
      text.slice(from, citation.start),
      el("mark", { className: "cited", text: text.slice(citation.start, citation.end) }),
      text.slice(citation.end, to),
      to < text.length ? "\u2026" : "",
    ]),
  ]);
}

// One chip; ``label`` replaces the note's name (a lab value cites with its own text).
function citationItem(citation, patientId, label) {
  const summary = el("summary", { text: label || noteLabel(patientId, citation.note_id),
    title: `note ${citation.note_id}, characters ${citation.start} to ${citation.end}` });
  const details = el("details", {
    className: "citation", "data-note-id": citation.note_id,
    "data-start": String(citation.start), "data-end": String(citation.end),
  }, [summary]);
  let loaded = false;
  details.addEventListener("toggle", async () => {
    if (!details.open || loaded) return;
    loaded = true;
    const body = el("div", { className: "passage-body", text: "Loading the note..." });
    details.append(body);
    try {
      const notes = await patientNotes(patientId);
      const note = notes[citation.note_id];
      body.replaceChildren(note ? passageView(patientId, note, citation)
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

function verdictBadge(verification) {
  const verdict = verification ? verification.verdict : "NOT_VERIFIED";
  const parts = [el("span", { className: `verdict verdict-${verdict}`,
    text: verdictWords(verification), "data-verdict": verdict })];
  if (verification && verification.detail) {
    parts.push(el("span", { className: "verdict-detail", text: readable(verification.detail) }));
  }
  return parts;
}
