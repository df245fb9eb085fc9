"""Omissions: important timeline facts that no summary statement mentions.

Reported, never added to the summary: active problems, active and held drugs, stopped drugs
(a stop is a change the next clinician must know), allergies, pending results and the code
status. A fact counts as mentioned when a statement names it: the same concept among the
statement's extracted entities (canonical drug name, problem name or ICD-10-CM code), or its
name written in the statement text.
"""

from __future__ import annotations

import re

from agent.schemas.extraction import Entity
from agent.schemas.summary import Citation, Omission, PatientTimeline, TimelineEvent
from agent.schemas.summary_rules import CueSet

_STOPWORDS = frozenset({"the", "and", "for", "with", "from", "of", "to", "on", "in", "at",
                        "pending", "results", "result", "final", "repeat", "none"})


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower())
            if len(w) > 2 and w not in _STOPWORDS}


def _in_text(name: str, texts: list[str]) -> bool:
    pattern = re.compile(rf"(?<!\w){re.escape(name.lower())}(?!\w)")
    return any(pattern.search(t) for t in texts)


def _event_citations(events: list[TimelineEvent]) -> list[Citation]:
    return [events[-1].citation]


def find_omissions(timeline: PatientTimeline, texts: list[str],
                   claims: list[list[Entity]], cues: CueSet,
                   sections: dict[tuple[str, int], str | None] | None = None,
                   problem_sections: frozenset[str] | None = None) -> list[Omission]:
    """Timeline facts that none of the statements mentions.

    Args:
        timeline: the patient's timeline.
        texts: the statements' texts.
        claims: per statement, the entities the extractor found in it.
        cues: the cue rules (code status words).
        sections: (note id, entity start) -> section of the source entities.
        problem_sections: with ``sections``, only problems named in these sections count
            (the ``problem_list`` role: where a clinician names a problem to manage; a
            symptom only listed in the HPI or exam is not reported as omitted).

    Returns:
        One omission per unmentioned fact, with the timeline's citations.
    """
    lowered = [t.lower() for t in texts]
    entities = [e for group in claims for e in group]
    drug_names: set[str] = set()
    problem_names: set[str] = set()
    problem_codes: set[str] = set()
    for e in entities:
        canonical = e.normalized.get("canonical")
        found = {e.text.lower()} | ({canonical.lower()} if isinstance(canonical, str) else set())
        if e.type in ("MEDICATION", "ALLERGY"):
            drug_names |= found
        elif e.type == "PROBLEM":
            problem_names |= found
            problem_codes.update(c.code for c in e.codes[:1])

    out: list[Omission] = []
    for track in timeline.medications:
        name = track.name.lower()
        if name in drug_names or _in_text(name, lowered):
            continue
        if track.status in ("active", "held"):
            state = "held" if track.status == "held" else "current"
            out.append(Omission(kind="medication", text=f"{track.name} ({state})",
                                citations=_event_citations(track.events)))
        elif track.status == "stopped" and track.last_change == "stopped":
            out.append(Omission(kind="medication_change", text=f"{track.name} stopped",
                                citations=_event_citations(track.events)))
    for problem in timeline.problems:
        if problem.status != "active":
            continue
        if sections is not None and problem_sections is not None and not any(
                sections.get((e.citation.note_id, e.citation.start)) in problem_sections
                for e in problem.events):
            continue
        name = problem.name.lower()
        if (name in problem_names or _in_text(name, lowered)
                or any(name in p or p in name for p in problem_names if len(p) > 3)
                or set(problem.codes[:1]) & problem_codes):
            continue
        out.append(Omission(kind="problem", text=problem.name,
                            citations=_event_citations(problem.events)))
    for item in timeline.items:
        if item.kind == "allergy":
            name = item.text.lower()
            if name in drug_names or _in_text(name, lowered):
                continue
            out.append(Omission(kind="allergy", text=item.text, citations=item.citations))
        elif item.kind == "pending":
            wanted = _words(item.text)
            if not wanted or any(len(wanted & _words(t)) >= min(2, len(wanted))
                                 for t in lowered):
                continue
            out.append(Omission(kind="pending", text=item.text, citations=item.citations))
        elif item.kind == "code_status":
            if any(cues.says("code_status_words", t) for t in lowered):
                continue
            out.append(Omission(kind="code_status", text=item.text, citations=item.citations))
    return out
