"""Relation extraction over one note's entities, from the rules of ``relations.json``.

For every sentence of the note's layout (and, for ``adjacent`` rules, the sentence before
it), each ``pair`` rule is tried in file order: the text between a head and a tail must
match the rule's pattern whole (``gap``), nearest head first. The first rule that links a
(head, tail) pair decides its type; a tail may hold relations of several types ("steroid-
induced hyperglycemia - insulin lispro": CAUSES from the steroid, TREATS from insulin).
A drug's ``indication`` attribute (``agent.nlp.medication``) is a TREATS relation when a
problem entity lies in it: that parser is reused, not repeated here.

Adverse effects and body sites the extractor did not report become entities only when a
relation uses them (:mod:`agent.relations.ade`, :mod:`agent.relations.sites`).

Entity ids are :func:`agent.schemas.extraction.entity_id` (``"<start>-<end>:<TYPE>"``);
relation ids are ``r1``, ``r2``... in text order.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from agent.relations.ade import effect_candidates, is_effect
from agent.relations.assertion import relation_assertion
from agent.relations.sites import site_candidates
from agent.rules import Rules
from agent.schemas.extraction import Entity, NoteExtraction, Relation, Span, entity_id
from agent.schemas.layout import NoteLayout
from agent.schemas.relation_rules import RelationRule, RelationRuleSet
from agent.schemas.summary_rules import CueSet

_DRUG_TYPES = ("MEDICATION", "ALLERGY")
_DEFAULT_HEADS = {"CAUSES": _DRUG_TYPES, "TREATS": ("MEDICATION",),
                  "CONTRAINDICATED_BY": ("MEDICATION",), "LOCATED_AT": ("PROBLEM", "PROCEDURE")}
_DEFAULT_TAILS = {"CAUSES": ("PROBLEM",), "TREATS": ("PROBLEM",),
                  "CONTRAINDICATED_BY": ("PROBLEM",), "LOCATED_AT": ("ANATOMY",)}
# Words joining coordinated drugs ("while on warfarin and aspirin"): each one is a head.
_COORDINATION = (",", "and", "or", "/", "+", "-", "plus", "and/or", "with")
_CHANGE_LABELS = frozenset({"stopped", "held"})
_HEAD_ASSERTION = {"absent": "negated", "possible": "speculated", "hypothetical": "speculated"}


@dataclass
class RelationResult:
    """Relations of one note and the entities added for them (adverse effects and body
    sites the extractor had not reported)."""

    relations: list[Relation] = field(default_factory=list)
    added: list[Entity] = field(default_factory=list)


@dataclass
class _Found:
    rule: RelationRule
    type: str
    head: Entity
    tail: Entity
    trigger: tuple[int, int] | None
    scope: tuple[int, int]


def find_relations(text: str, entities: list[Entity], layout: NoteLayout,
                   rules: RelationRuleSet, cues: CueSet | None = None) -> RelationResult:
    """The relations of one note.

    Args:
        text: the note text.
        entities: the note's entities (offsets into ``text``).
        layout: the note's layout (its sentences scope every relation).
        rules: the compiled relation rules (``Rules.relations``).
        cues: the timeline's cue rules: a drug's ``medication`` stop/hold cue makes its
            clause a change (its reasons are stop reasons); None uses only the
            ``change`` rules of the relation file.

    Returns:
        The relations (in text order, ids ``r1``...) and the entities added for them.
    """
    sentences = [(s.start, s.end) for s in layout.sentences] or [(0, len(text))]
    taken = [(e.start, e.end) for e in entities]
    found: list[_Found] = []
    linked: set[tuple[str, str]] = set()
    # Entities by start, so each sentence finds its own by bisection instead of scanning
    # every entity of the note (long notes have thousands).
    ordered = sorted(entities, key=lambda e: e.start)
    starts = [e.start for e in ordered]

    def within(a: int, z: int) -> list[Entity]:
        lo, hi = bisect_left(starts, a), bisect_left(starts, z)
        return [e for e in ordered[lo:hi] if e.end <= z]

    for i, (a, z) in enumerate(sentences):
        here = within(a, z)
        prev = sentences[i - 1] if i else None
        before = within(*prev) if prev else []
        extra: list[Entity] = []
        if any(e.type in _DRUG_TYPES for e in here + before):
            extra += effect_candidates(text, a, z, rules, taken)
        if any(e.type in ("PROBLEM", "PROCEDURE") for e in here):
            extra += [s for s in site_candidates(text, a, z, rules)
                      if not any(s.start < e.end and e.start < s.end and e.type == "ANATOMY"
                                 for e in here)]
        pool = sorted(here + extra, key=lambda e: e.start)
        found += _sites_within(pool, linked, (a, z))
        pool_types = {e.type for e in pool}
        wide_types = pool_types | {e.type for e in before}
        wide: list[Entity] | None = None  # this sentence's and the one before, built once
        for rule, rx in rules.pairs:
            scope = (prev[0], z) if rule.scope == "adjacent" and prev else (a, z)
            if scope[0] == a:
                candidates = pool
            else:
                if wide is None:
                    wide = sorted(before + pool, key=lambda e: e.start)
                candidates = wide
            # _heads finds nothing without an entity of a head type; _tail_fits' first test,
            # inline: most entities are of another type.
            head_types = rule.head_types or _DEFAULT_HEADS[rule.type]
            if (pool_types if scope[0] == a else wide_types).isdisjoint(head_types):
                continue
            tail_types = rule.tail_types or _DEFAULT_TAILS[rule.type]
            for tail in candidates:
                if tail.type not in tail_types or not (a <= tail.start < z) \
                        or not _tail_fits(rule, tail, rules):
                    continue
                for head, trigger in _heads(text, rule, rx, tail, candidates, scope,
                                            rules, cues, layout):
                    key = (entity_id(head), entity_id(tail))
                    if key in linked or head is tail:
                        continue
                    kind = rule.type
                    if rule.non_effect_type and not is_effect(tail, rules):
                        kind = rule.non_effect_type
                    linked.add(key)
                    found.append(_Found(rule, kind, head, tail, trigger, scope))
    found += _indications(text, entities, layout, linked)
    return _finish(text, found, entities, layout, rules)


_WITHIN = RelationRule(kind="pair", name="site_within_mention", type="LOCATED_AT",
                       order="tail_first", pattern="")


def _sites_within(pool: list[Entity], linked: set[tuple[str, str]],
                  scope: tuple[int, int]) -> list[_Found]:
    """A body site written inside a problem or procedure mention ("left lower lobe
    pneumonia" found whole by the extractor) is where that problem is."""
    out = []
    for head in pool:
        if head.type not in ("PROBLEM", "PROCEDURE") or head.normalized.get("ade_candidate"):
            continue
        for site in pool:
            # Only a sided site says more than the name ("left lower lobe pneumonia"; the
            # kidney of "acute kidney injury" is the name itself).
            if not (site.type == "ANATOMY" and site.normalized.get("laterality")
                    and head.start <= site.start and site.end <= head.end
                    and (site.start, site.end) != (head.start, head.end)):
                continue
            key = (entity_id(head), entity_id(site))
            if key not in linked:
                linked.add(key)
                out.append(_Found(_WITHIN, "LOCATED_AT", head, site, None, scope))
    return out


def _is_comorbidity(text: str, tail: Entity, start: int, rules: RelationRuleSet) -> bool:
    """Whether the words right before a problem make it the patient's condition."""
    for rule, rx in rules.rules("comorbidity"):
        if rule.position == "after":
            if rx.match(text, tail.end, tail.end + rule.window):
                return True
        elif rx.search(text, max(start, tail.start - rule.window), tail.start):
            return True
    return False


def _tail_fits(rule: RelationRule, tail: Entity, rules: RelationRuleSet) -> bool:
    types = rule.tail_types or _DEFAULT_TAILS[rule.type]
    if tail.type not in types:
        return False
    if tail.type == "ANATOMY" and rule.type != "LOCATED_AT":
        return False
    # An effect word the rules found themselves is an effect, never an indication or a
    # contraindication ("Sedation: propofol + fentanyl" is a plan item, not a new problem).
    if tail.normalized.get("ade_candidate") and rule.type != "CAUSES":
        return False
    return not rule.tail_effect_only or is_effect(tail, rules)


def _heads(text: str, rule: RelationRule, rx, tail: Entity, pool: list[Entity],
           scope: tuple[int, int], rules: RelationRuleSet, cues: CueSet | None,
           layout: NoteLayout) -> list[tuple[Entity, tuple[int, int] | None]]:
    """The nearest head the rule links to ``tail`` (and the drugs coordinated with it)."""
    types = rule.head_types or _DEFAULT_HEADS[rule.type]
    if rule.order == "head_first":
        options = sorted((e for e in pool if e.end <= tail.start and e.type in types
                          and e.start >= scope[0]), key=lambda e: -e.end)
    else:
        options = sorted((e for e in pool if e.start >= tail.end and e.type in types
                          and e.end <= scope[1]), key=lambda e: e.start)
    options = [e for e in options
               if e.type != "ANATOMY" and not e.normalized.get("ade_candidate")]
    # Only the nearest head: a drug between the tail and a farther one is the one the
    # words speak of ("COPD exacerbation - steroids changed from IV methylprednisolone").
    # A stop reason belongs to the drug that is stopped, wherever it stands ("Stop
    # aspirin once on apixaban ... to lower bleeding risk").
    if rule.requires_change:
        # ... unless a nearer drug is given for that very problem ("Aleve was stopped and
        # replaced by Tylenol 650 mg as needed for knee pain"): the words are its.
        for i, near in enumerate(options):
            indication = near.attributes.get("indication")
            if indication is not None and indication.start < tail.end \
                    and tail.start < indication.end:
                options = options[:i + 1]
                break
    for head in options if rule.requires_change else options[:1]:
        a, z = (head.end, tail.start) if rule.order == "head_first" else (tail.end, head.start)
        m = rx.fullmatch(text, a, z)
        if m is None:
            continue
        trigger = m.span("trigger") if "trigger" in rx.groupindex and \
            m.start("trigger") >= 0 else None
        if rule.requires_change and not _is_change(
                text, head, pool, layout, rules, cues, until=trigger[0] if trigger else None):
            continue
        if rule.type == "CAUSES" and not rule.requires_change and (
                _is_comorbidity(text, tail, head.end if rule.order == "head_first"
                                else scope[0], rules)
                or _is_absent(text, head, rules)
                or not _only_coordinated(text, tail, pool, a, z, rule.order, rules)):
            continue
        out = [(head, trigger)]
        if rule.type in ("CAUSES", "TREATS") and head.type in _DRUG_TYPES:
            out += [(h, trigger) for h in _coordinated(text, head, pool, rule.order)]
        return out
    return []


def _coordinated(text: str, head: Entity, pool: list[Entity], order: str) -> list[Entity]:
    """Drugs listed with ``head`` away from the tail ("after warfarin and aspirin")."""
    drugs = [e for e in pool if e.type in _DRUG_TYPES]
    out: list[Entity] = []
    current = head
    while True:
        if order == "tail_first":
            nxt = next((e for e in drugs if e.start >= current.end), None)
            gap = text[current.end:nxt.start] if nxt else None
        else:
            nxt = next((e for e in reversed(drugs) if e.end <= current.start), None)
            gap = text[nxt.end:current.start] if nxt else None
        if nxt is None or gap is None or not _is_coordination(gap):
            return out
        out.append(nxt)
        current = nxt


def _is_coordination(gap: str, *, articles: bool = False) -> bool:
    words = gap.replace(",", " , ").split()
    allowed = _COORDINATION + (("a", "an", "the") if articles else ())
    return 0 < len(words) <= 3 and all(w.lower() in allowed for w in words)


def _only_coordinated(text: str, tail: Entity, pool: list[Entity], a: int, z: int,
                      order: str, rules: RelationRuleSet) -> bool:
    """Other problems between the two arguments are listed with the tail ("blindness, a
    seizure and hypertension after oxybutynin"), not a new phrase ("bacteremia from
    pyelonephritis -- continue ceftriaxone": the drug is for the other problem)."""
    inside = sorted((e for e in pool if e.type == "PROBLEM" and a <= e.start and e.end <= z
                     and not e.normalized.get("ade_candidate")
                     and not _is_comorbidity(text, e, a, rules)),
                    key=lambda e: e.start, reverse=order == "head_first")
    last = tail
    for problem in inside:
        gap = text[last.end:problem.start] if order == "tail_first" else \
            text[problem.end:last.start]
        if not _is_coordination(gap, articles=True):
            return False
        last = problem
    return True


def _is_absent(text: str, drug: Entity, rules: RelationRuleSet) -> bool:
    """Whether the words around a drug name its absence ("insulin pump failure")."""
    for rule, rx in rules.rules("drug_absence"):
        if rule.position == "after":
            if rx.match(text, drug.end, drug.end + rule.window):
                return True
        elif rx.search(text, max(0, drug.start - rule.window), drug.start):
            return True
    return False


def _is_change(text: str, drug: Entity, pool: list[Entity], layout: NoteLayout,
               rules: RelationRuleSet, cues: CueSet | None, until: int | None = None) -> bool:
    """Whether the drug's clause stops, holds or avoids this drug (change words before
    ``until``, the reason's trigger: "rinse mouth to avoid thrush" is the reason, not a
    change). A change word belongs to the drug nearest to it on its side ("Aleve was
    stopped and replaced by Tylenol": Aleve; "Stop aspirin once on apixaban": aspirin) and
    to the drugs listed with that one ("Avoid diltiazem / verapamil")."""
    a, z = layout.clause_around(drug.start, drug.end)
    if until is not None:
        z = min(z, until)
    # A timeline cue keeps its side ("replaced by X" stops the drug before it, not X).
    spans = [(c.start, c.end, c.position) for c in cues.find("medication", text, a, z)
             if c.label in _CHANGE_LABELS] if cues is not None else []
    spans += [(*m.span(), "either") for _, m in rules.finditer("change", text, a, z)]
    lo, hi = layout.clause_around(drug.start, drug.end)
    drugs = sorted((e for e in pool if e.type in _DRUG_TYPES and lo <= e.start
                    and e.end <= hi), key=lambda e: e.start)
    for start, end, side in spans:
        able = [d for d in drugs if (side != "before" or d.start >= end)
                and (side != "after" or d.end <= start)]
        if not able:
            continue
        owner = min(able, key=lambda d: d.start - end if d.start >= end else start - d.end)
        if owner is drug or _listed_with(text, owner, drug, drugs):
            return True
    return False


def _listed_with(text: str, one: Entity, other: Entity, drugs: list[Entity]) -> bool:
    """Whether two drugs are items of one list ("diltiazem / verapamil")."""
    first, last = sorted((one, other), key=lambda e: e.start)
    chain = [d for d in drugs if first.start <= d.start and d.end <= last.end]
    return all(_is_coordination(text[x.end:y.start]) for x, y in zip(chain, chain[1:],
                                                                      strict=False))


def _indications(text: str, entities: list[Entity], layout: NoteLayout,
                 linked: set[tuple[str, str]]) -> list[_Found]:
    """TREATS from the medication parser's ``indication`` attribute ("prn nausea")."""
    rule = RelationRule(kind="pair", name="medication_indication", type="TREATS",
                        order="head_first", pattern=".*")
    problems = [e for e in entities if e.type == "PROBLEM"]
    out = []
    for drug in entities:
        indication = drug.attributes.get("indication") if drug.type == "MEDICATION" else None
        if indication is None:
            continue
        for problem in problems:
            key = (entity_id(drug), entity_id(problem))
            if problem.start < indication.end and indication.start < problem.end \
                    and key not in linked:
                linked.add(key)
                scope = _sentence_of(layout, drug.start, problem.end, len(text))
                out.append(_Found(rule, "TREATS", drug, problem, None, scope))
    return out


def _sentence_of(layout: NoteLayout, start: int, end: int, size: int) -> tuple[int, int]:
    spans = [(s.start, s.end) for s in layout.sentences if s.start <= start < s.end or
             s.start < end <= s.end]
    return (spans[0][0], spans[-1][1]) if spans else (0, size)


def _finish(text: str, found: list[_Found], entities: list[Entity], layout: NoteLayout,
            rules: RelationRuleSet) -> RelationResult:
    known = {entity_id(e) for e in entities}
    added: dict[str, Entity] = {}
    relations: list[Relation] = []
    found.sort(key=lambda f: (min(f.head.start, f.tail.start), f.head.start, f.tail.start))
    for f in found:
        if f.type == "LOCATED_AT":
            # Where a problem is does not change with hedges about its cause: the
            # relation is as certain as the problem's mention.
            assertion = _HEAD_ASSERTION.get(f.head.assertion, "present")
        else:
            assertion = relation_assertion(
                text, f.head, f.tail, f.scope, rules,
                is_stop_reason=f.rule.requires_change, effect=f.type == "CAUSES")
        a, z = _evidence(f, layout)
        trigger = Span(start=f.trigger[0], end=f.trigger[1],
                       text=text[f.trigger[0]:f.trigger[1]]) if f.trigger else None
        laterality = f.tail.normalized.get("laterality") if f.type == "LOCATED_AT" else None
        tail_id = entity_id(f.tail)
        if tail_id not in known and tail_id not in added:
            added[tail_id] = _new_entity(f.tail, assertion, layout)
        relations.append(Relation(
            id=f"r{len(relations) + 1}", type=f.type, head=entity_id(f.head),  # type: ignore[arg-type]
            tail=tail_id, assertion=assertion,
            evidence=Span(start=a, end=z, text=text[a:z]), trigger=trigger,
            laterality=laterality, is_change_reason=f.rule.requires_change,
            rule=f.rule.name))  # type: ignore[arg-type]
    return RelationResult(relations=relations,
                          added=sorted(added.values(), key=lambda e: e.start))


def _evidence(f: _Found, layout: NoteLayout) -> tuple[int, int]:
    """The clause holding the pair, else the sentence(s) holding it."""
    lo = min(f.head.start, f.tail.start)
    hi = max(f.head.end, f.tail.end)
    a, z = layout.clause_around(lo, hi)
    if a <= lo and hi <= z and (a, z) != (lo, hi):
        return a, z
    return f.scope


def _new_entity(entity: Entity, assertion: str, layout: NoteLayout) -> Entity:
    """An adverse effect or body site joining the entity list, with an assertion and
    section read from the relation that uses it."""
    section = layout.section_at(entity.start)
    if entity.type == "ANATOMY":
        value = "present"
    else:
        value = {"negated": "absent", "speculated": "possible"}.get(assertion, "present")
    normalized = {k: v for k, v in entity.normalized.items() if k != "ade_candidate"}
    if entity.type == "PROBLEM":
        normalized["adverse_effect"] = True
    return entity.model_copy(update={"assertion": value, "section": section,
                                     "normalized": normalized})


def with_relations(extraction: NoteExtraction, text: str, rules: Rules) -> NoteExtraction:
    """The extraction with its relations filled in and the entities they added.

    The one hook of the extractor (``EntityExtractor.extract_note``). Added entities join
    the list in offset order; the layout is kept (an added mention never moves a line to
    another section).

    Args:
        extraction: the note's extraction, layout included.
        text: the note text.
        rules: the rule set (``relations`` patterns, ``cues`` stop/hold words).

    Returns:
        A copy with ``relations`` set; the input is not changed.
    """
    layout = extraction.layout
    if layout is None:
        return extraction
    result = find_relations(text, extraction.entities, layout, rules.relations, rules.cues)
    if not result.relations:
        return extraction
    entities = sorted([*extraction.entities, *result.added], key=lambda e: (e.start, e.end))
    return extraction.model_copy(update={"entities": entities,
                                         "relations": result.relations})
