"""Reports on the synthetic corpus: counts (``stats``) and authoring hints (``lint``).

    python -m evals.synthetic stats|lint
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the corpus module runs these reports: a runtime import would be a cycle
    from evals.synthetic import GoldNote


def stats(corpus: list[GoldNote]) -> dict[str, dict[str, int]]:
    """Counts of patients, notes, entities (per type, assertion, attribute) and PHI per type."""
    ents = [e for n in corpus for e in n.entities]
    return {
        "corpus": {"patients": len({n.note["patient_id"] for n in corpus}),
                   "notes": len(corpus), "entities": len(ents),
                   "phi": sum(len(n.phi) for n in corpus),
                   "characters": sum(len(n.note["text"]) for n in corpus)},
        "note_types": dict(Counter(n.note["note_type"] for n in corpus)),
        "entity_types": dict(Counter(e["type"] for e in ents)),
        "assertions": dict(Counter(e["assertion"] for e in ents)),
        "type_assertion": dict(Counter(f"{e['type']}/{e['assertion']}" for e in ents)),
        "attributes": dict(Counter(a for e in ents for a in e["attributes"])),
        "sections": dict(Counter(str(e["section"]) for e in ents)),
        "phi_types": dict(Counter(p["type"] for n in corpus for p in n.phi)),
    }


_HEADERISH_RE = re.compile(r"^([A-Z][A-Za-z /&()'\-]{0,40}):")


def lint(corpus: list[GoldNote], section_of: Callable[[str], str | None]) -> list[str]:
    """Authoring hints: unlabelled repeats of labelled surfaces, and unmapped header-like lines.

    Label-every-mention is the rule most easily broken by hand; a surface labelled in one
    note but left bare elsewhere is usually a miss. Hints are not errors (a surface can be
    a non-clinical word in another place), so they are reviewed, not enforced.

    Args:
        corpus: the parsed corpus.
        section_of: the corpus's header rule (``evals.synthetic.section_of``): a line's
            section, or None when the line is not a mapped header.
    """
    surfaces = {e["text"] for n in corpus for e in n.entities}
    # Short surfaces ("K", "Mg", "AF") only match in their labelled case: "mg" is a unit.
    longs = {t.lower() for t in surfaces if len(t) > 3}
    shorts = {t for t in surfaces if len(t) <= 3}
    patterns = [re.compile(r"(?<![\w-])(" + "|".join(
        re.escape(t) for t in sorted(group, key=len, reverse=True)) + r")(?![\w-])", flags)
        for group, flags in ((longs, re.IGNORECASE), (shorts, 0)) if group]
    hints: list[str] = []
    unmapped: set[str] = set()
    for n in corpus:
        text, nid = n.note["text"], n.note["note_id"]
        covered = [(e["start"], e["end"]) for e in n.entities]
        covered += [(a["start"], a["end"]) for e in n.entities for a in e["attributes"].values()]
        covered += [(p["start"], p["end"]) for p in n.phi]
        hits = sorted((m.start(), m.end()) for p in patterns for m in p.finditer(text))
        for start, end in hits:
            if not any(s < end and start < e for s, e in covered):
                hints.append(f"{nid} {start}: unlabelled {text[start:end]!r}")
        unmapped.update(h.group(1) for line in text.splitlines()
                        if (h := _HEADERISH_RE.match(line)) and section_of(line) is None)
    hints.append(f"header-like labels that keep the current section: {sorted(unmapped)}")
    return hints
