"""Criteria -> SQL (SQLAlchemy Core) over the fact table; the database does the matching.

Every leaf becomes ``SELECT patient_id FROM cohort_facts WHERE ... [GROUP BY patient_id
HAVING count(DISTINCT note_id) >= n]`` and a criterion a boolean over ``patient_id IN
(...)``, so a whole eligibility list is one statement. A condition by concept is the union
of two index lookups (the fact's concept name; its ICD-10-CM code or an ancestor, by
equality in ``cohort_fact_codes``), not one OR, so each branch keeps its index. Time windows
are integer arithmetic on ``note_day``; a window relative to another criterion is an
EXISTS on that criterion's facts of the same patient.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.orm import aliased

from agent.cohorts.facts import ICD10CM, TERM, day_number
from agent.cohorts.vocabulary import CohortVocabulary
from agent.errors import InputError
from agent.schemas.cohort import CohortQuery, Criterion
from agent.store.models import CohortFactCodeRow, CohortFactNoteRow, CohortFactRow

_COMPARE = {">": "__gt__", ">=": "__ge__", "<": "__lt__", "<=": "__le__", "=": "__eq__",
            "!=": "__ne__"}
_MED_STATUS_NOW = {"current": "active", "held": "held", "stopped": "stopped"}


@dataclass
class Leaf:
    """A resolved leaf criterion: what its facts must satisfy."""

    label: str
    kind: str
    names: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    value_filter: tuple[str, float, str] | None = None
    status_now: str | None = None
    assertion: list[str] = field(default_factory=list)
    experiencer: list[str] = field(default_factory=list)
    temporality: list[str] | None = None
    section: list[str] | None = None
    day_range: tuple[int | None, int | None] | None = None
    relative: tuple[str, int, str] | None = None
    min_notes: int = 1


@dataclass
class CompiledQuery:
    """The query with every leaf resolved; ``labels`` are the attrition table's rows."""

    query: CohortQuery
    leaves: dict[int, Leaf]
    by_label: dict[str, Leaf]
    inclusion_labels: list[str]
    exclusion_labels: list[str]


def criterion_label(crit: Criterion, where: str) -> str:
    """A criterion's name: its id, else a short description of its leaf."""
    if crit.id:
        return crit.id
    if crit.condition is not None:
        c = crit.condition
        return f"condition {c.code or c.concept}"
    if crit.medication is not None:
        m = crit.medication
        return f"medication {m.ingredient or m.drug_class}" + (
            f" ({m.status})" if m.status != "ever" else "")
    if crit.lab is not None:
        lab = crit.lab
        cmp = f" {lab.op} {lab.value:g}{' ' + lab.unit if lab.unit else ''}" if lab.op else ""
        return f"lab {lab.test}{cmp}"
    return where


def resolve(query: CohortQuery, vocab: CohortVocabulary) -> CompiledQuery:
    """Resolve every name of the query against the vocabularies.

    Raises:
        InputError: an unknown concept, code, drug, class, test, unit or criterion id
            (named, with suggestions); duplicate criterion ids.
    """
    leaves: dict[int, Leaf] = {}
    by_label: dict[str, Leaf] = {}
    labels: dict[str, list[str]] = {"inclusion": [], "exclusion": []}

    def walk(crit: Criterion, where: str, top: str | None) -> None:
        if crit.kind in ("all", "any"):
            for i, sub in enumerate(getattr(crit, crit.kind)):
                walk(sub, f"{where}.{crit.kind}[{i}]", None)
        elif crit.kind == "not":
            walk(crit.not_, f"{where}.not", None)
        else:
            label = top or criterion_label(crit, where)
            leaf = _resolve_leaf(crit, where, label, vocab)
            leaves[id(crit)] = leaf
            if crit.id:
                if crit.id in by_label:
                    raise InputError("query", f"criterion id {crit.id!r} is used twice",
                                     field=f"{where}.id", fix="Give each criterion its own id")
                by_label[crit.id] = leaf

    for part in ("inclusion", "exclusion"):
        for i, crit in enumerate(getattr(query, part)):
            where = f"{part}[{i}]"
            label = criterion_label(crit, where)
            walk(crit, where, label if crit.kind not in ("all", "any", "not") else None)
            labels[part].append(label)
    for leaf in leaves.values():
        if leaf.relative is None:
            continue
        ref = by_label.get(leaf.relative[0])
        if ref is None:
            valid = ", ".join(sorted(by_label)) or "none: set id= on a leaf criterion"
            raise InputError("query", f"window refers to unknown criterion "
                             f"{leaf.relative[0]!r}", field="window.criterion",
                             fix=f"Valid ids: {valid}")
        if ref.relative is not None:
            # Chained windows could refer back in a cycle; one level answers the trials'
            # "within N days of the diagnosis".
            raise InputError("query", f"criterion {leaf.relative[0]!r} has a window "
                             "relative to another criterion itself", field="window.criterion",
                             fix="Refer to a criterion whose window is absolute or absent")
    return CompiledQuery(query, leaves, by_label, labels["inclusion"], labels["exclusion"])


def _resolve_leaf(crit: Criterion, where: str, label: str, vocab: CohortVocabulary) -> Leaf:
    spec = crit.condition or crit.medication or crit.lab
    leaf = Leaf(label=label, kind=crit.kind, assertion=list(spec.assertion),
                experiencer=list(spec.experiencer), temporality=list(spec.temporality),
                section=spec.section, min_notes=spec.min_notes)
    if crit.condition is not None:
        c = crit.condition
        if c.code is not None:
            leaf.codes = [vocab.code(c.code, f"{where}.condition.code")]
        else:
            match = vocab.condition(c.concept, f"{where}.condition.concept")
            leaf.names, leaf.codes = sorted(match.names), sorted(match.codes)
    elif crit.medication is not None:
        m = crit.medication
        if m.ingredient is not None:
            leaf.names = [vocab.ingredient(m.ingredient, f"{where}.medication.ingredient")]
        else:
            leaf.names = vocab.drug_class(m.drug_class, f"{where}.medication.class")
        leaf.status_now = _MED_STATUS_NOW.get(m.status)
        if leaf.status_now is not None and "assertion" not in m.model_fields_set:
            # The extractor negates a drug that is held or stopped ("metformin held"): the
            # timeline's status already says whether it is taken, whatever the assertion.
            leaf.assertion = []
        if leaf.status_now is not None and "temporality" not in m.model_fields_set:
            leaf.temporality = None
    else:
        lab = crit.lab
        test, unit = vocab.lab(lab.test, lab.unit, f"{where}.lab.test")
        leaf.names = [test.name]
        if lab.op is not None:
            value = vocab.labs.to_stored(test, lab.value, unit)
            leaf.value_filter = (lab.op, value, test.unit)
    if spec.window is not None:
        w = spec.window
        if w.criterion is not None:
            leaf.relative = (w.criterion, w.days, w.direction)
        elif w.date is not None:
            day = _day(w.date, f"{where}.window.date")
            lo, hi = {"before": (day - w.days, day), "after": (day, day + w.days),
                      "around": (day - w.days, day + w.days)}[w.direction]
            leaf.day_range = (lo, hi)
        else:
            leaf.day_range = (_day(w.start, f"{where}.window.start") if w.start else None,
                              _day(w.end, f"{where}.window.end") if w.end else None)
    return leaf


def _day(value: str, where: str) -> int:
    day = day_number(value)
    if day is None:
        raise InputError("query", f"{value!r} is not an ISO date", field=where,
                         fix="Write dates as YYYY-MM-DD")
    return day


def leaf_filters(leaf: Leaf, f, compiled: CompiledQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms of a leaf on fact alias ``f`` (all but the name/code match)."""
    out: list[ColumnElement[bool]] = [f.entity_type == ("PROBLEM" if leaf.kind == "condition"
                                                         else "MEDICATION"
                                                         if leaf.kind == "medication"
                                                         else "TEST")]
    if leaf.assertion:
        out.append(f.assertion.in_(leaf.assertion))
    if leaf.experiencer:
        out.append(f.experiencer.in_(leaf.experiencer))
    if leaf.temporality:
        out.append(f.temporality.in_(leaf.temporality))
    if leaf.section:
        out.append(f.section.in_(leaf.section))
    if leaf.status_now is not None:
        out.append(f.status_now == leaf.status_now)
    if leaf.value_filter is not None:
        op, value, unit = leaf.value_filter
        out.append(getattr(f.value_num, _COMPARE[op])(value))
        out.append(or_(f.unit.is_(None), f.unit == unit))
    if leaf.day_range is not None:
        lo, hi = leaf.day_range
        if lo is not None:
            out.append(f.note_day >= lo)
        if hi is not None:
            out.append(f.note_day <= hi)
    if leaf.relative is not None:
        ref_id, days, direction = leaf.relative
        ref = compiled.by_label[ref_id]
        e = aliased(CohortFactRow)
        lo, hi = {"before": (-days, 0), "after": (0, days), "around": (-days, days)}[direction]
        ref_terms = [*leaf_filters(ref, e, compiled), _match(ref, e)]
        out.append(exists().where(e.patient_id == f.patient_id, e.note_day.is_not(None),
                                  f.note_day >= e.note_day + lo, f.note_day <= e.note_day + hi,
                                  *ref_terms))
    return out


def _lookups(leaf: Leaf) -> list[tuple[str | None, list[str]]]:
    """``(code system, values)`` per index lookup of a leaf: a condition's names are
    looked up among the name terms of the facts (``TERM``), its codes among the ICD-10-CM
    codes and ancestors; a drug's or test's names are the facts' concepts (system None)."""
    if leaf.kind != "condition":
        return [(None, leaf.names)] if leaf.names else []
    return [(system, values) for system, values in ((TERM, leaf.names), (ICD10CM, leaf.codes))
            if values]


def _match(leaf: Leaf, f) -> ColumnElement[bool]:
    """The name-or-code match of a leaf as one term (used inside EXISTS)."""
    terms = []
    for system, values in _lookups(leaf):
        if system is None:
            terms.append(f.concept.in_(values))
        else:
            terms.append(f.id.in_(select(CohortFactCodeRow.fact_id).where(
                CohortFactCodeRow.system == system, CohortFactCodeRow.code.in_(values))))
    return or_(*terms) if terms else false()


def leaf_facts(leaf: Leaf, compiled: CompiledQuery) -> list[tuple]:
    """``(fact alias, WHERE terms[, code alias])`` per branch of a leaf: one per index
    lookup (a union of lookups, not one OR, so each keeps its index)."""
    branches = []
    for system, values in _lookups(leaf):
        f = aliased(CohortFactRow)
        if system is None:
            branches.append((f, [f.concept.in_(values), *leaf_filters(leaf, f, compiled)]))
            continue
        c = aliased(CohortFactCodeRow)
        branches.append((f, [f.id == c.fact_id, c.system == system, c.code.in_(values),
                             *leaf_filters(leaf, f, compiled)], c))
    return branches


def leaf_patients(leaf: Leaf, compiled: CompiledQuery):
    """``SELECT patient_id`` of the patients meeting a leaf (a union of its branches)."""
    selects = []
    for branch in leaf_facts(leaf, compiled):
        f, terms = branch[0], branch[1]
        froms = [f, branch[2]] if len(branch) > 2 else [f]
        if leaf.min_notes > 1:
            stmt = select(f.patient_id, f.note_id).select_from(*froms).where(*terms)
        else:
            stmt = select(f.patient_id).select_from(*froms).where(*terms)
        selects.append(stmt)
    if not selects:
        return select(CohortFactRow.patient_id).where(false())
    if leaf.min_notes > 1:
        union = selects[0].union(*selects[1:]).subquery() if len(selects) > 1 \
            else selects[0].distinct().subquery()
        return select(union.c.patient_id).group_by(union.c.patient_id).having(
            func.count(func.distinct(union.c.note_id)) >= leaf.min_notes)
    return selects[0].union(*selects[1:]) if len(selects) > 1 else selects[0]


def criterion_clause(crit: Criterion, pid, compiled: CompiledQuery) -> ColumnElement[bool]:
    """A criterion as a boolean over the patient id column ``pid``."""
    if crit.kind == "all":
        return and_(*(criterion_clause(c, pid, compiled) for c in crit.all))
    if crit.kind == "any":
        return or_(*(criterion_clause(c, pid, compiled) for c in crit.any))
    if crit.kind == "not":
        return not_(criterion_clause(crit.not_, pid, compiled))
    return pid.in_(leaf_patients(compiled.leaves[id(crit)], compiled))


def population(patients: list[str] | None) -> Select:
    """The patients with built facts (restricted to ``patients`` when given)."""
    stmt = select(CohortFactNoteRow.patient_id).distinct()
    if patients is not None:
        stmt = stmt.where(CohortFactNoteRow.patient_id.in_(patients))
    return stmt


def cohort_select(compiled: CompiledQuery, patients: list[str] | None, *,
                  inclusion: int | None = None, exclusion: int | None = None) -> Select:
    """``SELECT patient_id`` of the cohort after the first ``inclusion`` inclusion criteria
    and ``exclusion`` exclusion criteria (None: all of them), ordered by patient id."""
    base = population(patients).subquery()
    pid = base.c.patient_id
    q = compiled.query
    terms = [criterion_clause(c, pid, compiled) for c in q.inclusion[:inclusion]]
    excl = [criterion_clause(c, pid, compiled) for c in q.exclusion[:exclusion]]
    if excl:
        terms.append(not_(or_(*excl)))
    return select(pid).where(and_(true(), *terms)).order_by(pid)


def criterion_select(compiled: CompiledQuery, crit: Criterion,
                     patients: list[str] | None) -> Select:
    """``SELECT patient_id`` of the population meeting one criterion alone."""
    base = population(patients).subquery()
    pid = base.c.patient_id
    return select(pid).where(criterion_clause(crit, pid, compiled))
