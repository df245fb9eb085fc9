"""Sections written to and read from a doc without spaCy's per-token extension objects.

medspaCy's ``Sectionizer`` gives every token its section with ``token._.section = ...``,
and readers ask ``span._.section_category``, which goes span -> first token -> section.
Each ``token._`` builds a ``Token`` and an ``Underscore`` object, so writing a note's
sections and reading them back cost ~5% of extraction. spaCy keeps a token extension's
value in ``doc.user_data[("._.", name, token.idx, None)]`` (spacy/tokens/underscore.py,
``Underscore._get_key``); this module writes and reads those same keys directly, so
``token._.section`` and ``span._.section_category`` still give the same objects.

:func:`apply_sectionizer` is medspaCy 1.3.1's ``Sectionizer.__call__`` (pinned) step for
step with that one change; tests/agent/nlp/test_section_store.py compares the two on every
demo and development note.
"""

from __future__ import annotations

from agent.nlp.doc_text import token_offsets

# spaCy's key for a token extension's value (Underscore._get_key with _end None).
_EXT = "._."


def set_token_sections(doc, start: int, end: int, section, idx: list[int] | None = None) -> None:
    """``token._.section = section`` for the tokens ``doc[start:end]``."""
    idx = token_offsets(doc) if idx is None else idx
    data = doc.user_data
    for i in range(start, min(end, len(idx))):
        data[(_EXT, "section", idx[i], None)] = section


def section_category(span) -> str | None:
    """``span._.section_category`` (medspaCy: the category of its first token's section)."""
    doc = span.doc
    section = doc.user_data.get((_EXT, "section", doc[span.start].idx, None))
    return None if section is None else section.category


def apply_sectionizer(sectionizer, doc):
    """medspaCy 1.3.1's ``Sectionizer.__call__``, writing token sections directly."""
    from medspacy.section_detection.section import Section

    # Private attribute of medspacy==1.3.1 (pinned); agent.nlp.pipeline checks it exists.
    matcher = sectionizer._Sectionizer__matcher
    matches = matcher(doc)
    if sectionizer.require_start_line:
        matches = sectionizer.filter_start_lines(doc, matches)
    if sectionizer.require_end_line:
        matches = sectionizer.filter_end_lines(doc, matches)
    if sectionizer._parent_sections:
        matches = sectionizer.set_parent_sections(matches)
    doc._.sections = []
    if len(matches) == 0:
        doc._.sections.append(Section(None, 0, 0, 0, len(doc)))
        return doc
    section_list = []
    if matches[0][1] != 0:
        section_list.append(Section(None, 0, 0, 0, matches[0][1]))
    max_length = sectionizer.max_section_length
    for i, match in enumerate(matches):
        parent = None
        if len(match) == 4:
            match_id, start, end, parent_idx = match
            if parent_idx is not None:
                parent = section_list[parent_idx]
        else:
            match_id, start, end = match
        if sectionizer._apply_sentence_boundary:
            doc[start].sent_start = True
            if end < len(doc):
                doc[end].sent_start = True
        rule = matcher.rule_map[sectionizer.nlp.vocab.strings[match_id]]
        if i == len(matches) - 1:
            limit = doc[-1].i + 1
        else:
            limit = matches[i + 1][1]
        if max_length is None and rule.max_scope is None:
            scope_end = len(doc) if i == len(matches) - 1 else limit
        else:
            scope_end = min(end + (rule.max_scope if rule.max_scope is not None
                                   else max_length), limit)
        section_list.append(Section(rule.category, start, end, end, scope_end, parent, rule))
    idx = token_offsets(doc)
    for section in section_list:
        doc._.sections.append(section)
        start, end = section.section_span
        set_token_sections(doc, start, end, section, idx)
    if sectionizer.assertion_attributes_mapping:
        if sectionizer._input_span_type.lower() == "ents":
            sectionizer.set_assertion_attributes(doc.ents)
        elif sectionizer._input_span_type.lower() == "group":
            sectionizer.set_assertion_attributes(doc.spans[sectionizer._span_group_name])
    return doc
