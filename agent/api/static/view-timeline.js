// Timeline view: the stay's events by date, each linking into the note browser at its span.
"use strict";

const EVENT_KIND_WORDS = {
  admission: "admission", discharge: "discharge", procedure: "procedure",
  medication: "medication", problem: "problem", result: "result", note: "note",
};

function longDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  if (!m) return iso || "Undated";
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toLocaleDateString("en-US", { weekday: "short", month: "short", day: "numeric",
    year: "numeric", timeZone: "UTC" });
}

function timelineEvent(event, patientId) {
  const link = el("button", { type: "button", className: "link-button event-link",
    "data-note-id": event.note_id,
    "data-start": event.citation ? String(event.citation.start) : null,
    "data-end": event.citation ? String(event.citation.end) : null,
    text: noteLabel(patientId, event.note_id),
    "aria-label": `open ${noteLabel(patientId, event.note_id)} at this passage` });
  link.addEventListener("click", () => openNote(patientId, event.note_id, event.citation));
  return el("li", { className: `timeline-event kind-${event.kind}` }, [
    el("span", { className: "event-kind", text: EVENT_KIND_WORDS[event.kind] || plain(event.kind) }),
    el("span", { className: "event-text", text: arrowed(event.text) }),
    link,
  ]);
}

function renderTimeline(body, patientId) {
  const groups = new Map();
  for (const event of body.events) {
    const key = event.date || "";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(event);
  }
  const box = $("timeline");
  if (!body.events.length) {
    box.replaceChildren(el("p", { className: "empty", text: "No event found in the notes." }));
    return;
  }
  box.replaceChildren(...[...groups.entries()].map(([date, events]) => el("section", {
    className: "timeline-day", "data-date": date || "undated" }, [
    el("h3", { text: date ? longDate(date) : "Undated" }),
    el("ul", { className: "timeline-events" }, events.map((e) => timelineEvent(e, patientId))),
  ])));
}

VIEWS.timeline = {
  async load(patientId) {
    $("timeline").replaceChildren(el("p", { className: "meta", text: "Loading..." }));
    try {
      await patientNotes(patientId);
      const { body } = await api(patientPath(patientId, "timeline"));
      if (state.patient === patientId) renderTimeline(body, patientId);
    } catch (err) {
      $("timeline").replaceChildren(viewError("The timeline", err));
      throw err;
    }
  },
};
