"""A LangChain chat model answers a question about one patient from the passages of
:class:`~agent.adapters.langchain_retriever.ClinagentRetriever`, citing them as ``[P1]``;
each answer sentence's citations (note id + offsets) then go through the verify tool.

Run it on the demo notes (``--llm-base-url`` for an OpenAI-compatible server, else the
local SmolLM2 of the ``local`` extra; a 135M model's answer is poor, the path is the point)::

    python -m agent.adapters.examples.langchain_chat --patient P001 \\
        "What anticoagulant is the patient on?"

Any ``BaseChatModel`` works (``ChatOpenAI``, ``ChatOllama``...); the tests use LangChain's
fake chat model.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from typing import Any

from pydantic import BaseModel, Field

from agent.adapters.optional import import_extra
from agent.schemas.summary import Citation
from agent.schemas.verification import Verification

import_extra("langchain_core", "langchain")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from langchain_core.tools import BaseTool  # noqa: E402

PROMPT = ChatPromptTemplate.from_messages([
    ("system", "You answer questions about one patient using only the numbered passages of "
               "their notes. Answer in one to three short sentences. End every sentence "
               "with the ids of the passages it rests on, like [P1] or [P1][P2]."),
    ("human", "Passages:\n{passages}\n\nQuestion: {question}"),
])
_CITED = re.compile(r"\[(P\d+)\]")
# Markers written after the full stop ("... started. [P1]") belong to the sentence before.
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[P\d+\])+)")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|(?<=\])\s+(?=[A-Z])")


class CheckedSentence(BaseModel):
    """One answer sentence, the passages it cites and the verifier's verdict."""

    text: str
    passage_ids: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    verification: Verification | None = None


class CheckedAnswer(BaseModel):
    """The model's answer, sentence by sentence, with the verifier's verdicts."""

    question: str
    answer: str
    sentences: list[CheckedSentence]
    flags: list[str] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(default_factory=dict)


def format_passages(docs: list[Document]) -> str:
    """The retrieved passages numbered ``[P1]``.. with date and section."""
    return "\n".join(f"[P{i}] ({d.metadata.get('date') or 'undated'}, "
                     f"{d.metadata.get('section') or '-'}) {d.page_content}"
                     for i, d in enumerate(docs, start=1))


def split_cited(answer: str) -> list[tuple[str, list[str]]]:
    """``(sentence without its markers, cited passage ids)`` for each sentence."""
    out = []
    for chunk in _SENTENCE_BREAK.split(_MARKERS_AFTER_STOP.sub(r"\2\1", answer.strip())):
        text = re.sub(r"\s+([.!?,;])", r"\1", _CITED.sub("", chunk)).strip()
        text = re.sub(r"\s{2,}", " ", text)
        if re.search(r"[A-Za-z0-9]", text):
            out.append((text, _CITED.findall(chunk)))
    return out


def answer_with_verified_citations(model: BaseChatModel, retriever: BaseRetriever,
                                   verify_tool: BaseTool, question: str, *,
                                   patient_id: str) -> CheckedAnswer:
    """Retrieve, answer with the chat model, and verify each sentence's citations.

    Args:
        model: any LangChain chat model.
        retriever: the patient's retriever (``ClinagentRetriever``; Documents with
            ``note_id``/``start``/``end`` metadata).
        verify_tool: the ``clinagent_verify_summary`` tool of the patient's toolkit.
        question: the question.
        patient_id: the patient (the same as the retriever's).

    Returns:
        The answer with a verdict on every sentence; a cited id that names no retrieved
        passage is dropped from that sentence's citations and flagged, never silently.
    """
    docs = retriever.invoke(question)
    reply = (PROMPT | model).invoke({"passages": format_passages(docs), "question": question})
    by_id = {f"P{i}": d for i, d in enumerate(docs, start=1)}
    flags: list[str] = []
    sentences: list[CheckedSentence] = []
    for i, (text, ids) in enumerate(split_cited(reply.text), start=1):
        known = [pid for pid in ids if pid in by_id]
        if not ids:
            flags.append(f"sentence {i} cites no passage (the verifier searched all notes)")
        elif len(known) < len(ids):
            flags.append(f"sentence {i} cites a passage id that was not retrieved")
        citations = [Citation(note_id=by_id[p].metadata["note_id"],
                              start=by_id[p].metadata["start"], end=by_id[p].metadata["end"])
                     for p in dict.fromkeys(known)]
        sentences.append(CheckedSentence(text=text, passage_ids=known, citations=citations))
    provenance: dict[str, Any] = {}
    if sentences:
        checked = verify_tool.invoke({
            "patient_id": patient_id,
            "statements": [{"text": s.text, "citations": [c.model_dump() for c in s.citations]}
                           for s in sentences]})
        if isinstance(checked, str):  # the tool reported a clinagent error
            flags.append(f"verification failed: {checked}")
        else:
            for sentence, statement in zip(sentences, checked["statements"], strict=True):
                sentence.verification = Verification.model_validate(statement["verification"])
            provenance = checked["provenance"]
    else:
        flags.append("the model's answer holds no sentence")
    return CheckedAnswer(question=question, answer=reply.text, sentences=sentences,
                         flags=flags, provenance=provenance)


def main(argv: list[str] | None = None) -> int:
    """Answer a question about a demo patient and print the checked answer as JSON."""
    # Deferred: the adapters and the demo data, only when the example runs.
    from agent.adapters.langchain_chat_model import ClinagentChatModel
    from agent.adapters.langchain_retriever import ClinagentRetriever
    from agent.adapters.langchain_tools import ClinagentToolkit
    from agent.config import Settings
    from evals.synthetic import load_notes

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("question")
    parser.add_argument("--patient", default="P001", help="demo patient id (P001-P007)")
    parser.add_argument("--llm-base-url", help="OpenAI-compatible server, e.g. "
                        "http://127.0.0.1:8000/v1 (default: the local SmolLM2)")
    parser.add_argument("--llm-model", help="the served model name")
    args = parser.parse_args(argv)
    llm = ({"backend": "openai_compat", "base_url": args.llm_base_url,
            "model": args.llm_model} if args.llm_base_url else {"backend": "local"})
    settings = Settings(llm=llm)
    notes = [n for n in load_notes() if n.patient_id == args.patient]
    toolkit = ClinagentToolkit(notes, settings=settings)
    verify = next(t for t in toolkit.get_tools() if t.name == "clinagent_verify_summary")
    with tempfile.TemporaryDirectory() as index_dir:
        retriever = ClinagentRetriever.from_notes(notes, index_dir, patient_id=args.patient,
                                                  settings=settings,
                                                  pipeline=toolkit.extractor.pipeline)
        answer = answer_with_verified_citations(
            ClinagentChatModel.from_settings(settings.llm), retriever, verify,
            args.question, patient_id=args.patient)
    sys.stdout.write(json.dumps(answer.model_dump(mode="json"), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
