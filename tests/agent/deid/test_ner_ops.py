"""The de-id NER model's prediction-only operations (agent.deid.ner_ops) give thinc's own
results, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from evals.synthetic import load_notes


@pytest.fixture(scope="module")
def plain_nlp():
    """The de-id spaCy model as spaCy loads it (thinc's own layers), NER only."""
    import spacy

    from agent.deid.registry import SPACY_MODEL

    nlp = spacy.load(SPACY_MODEL)
    for pipe in ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"):
        nlp.disable_pipe(pipe)
    return nlp


@pytest.fixture(scope="module")
def texts(deid_detector):
    notes = [n.text for n in load_notes()[:8]]
    # Recased copies (what the detector parses), a one-case line and a short window.
    return [*notes, *(deid_detector.recaser.recase(t) for t in notes),
            "SEEN AT MERCY BLUFF HOSPITAL BY DR OKAFOR 3/4/26", "Pt Ana 555-0142", "x"]


def test_detector_model_runs_on_inference_ops(deid_detector):
    from agent.deid.ner_ops import InferenceOps, _layernorm_forward

    model = deid_detector._pack.nlp.get_pipe("ner").model
    nodes = list(model.walk())
    assert all(isinstance(n.ops, InferenceOps) for n in nodes)
    assert [n for n in nodes if n.name == "layernorm"]
    assert all(n._func is _layernorm_forward for n in nodes if n.name == "layernorm")


def test_tok2vec_output_is_thincs_bit_for_bit(deid_detector, plain_nlp, texts):
    ours = deid_detector._pack.nlp.get_pipe("ner").model.get_ref("tok2vec")
    theirs = plain_nlp.get_pipe("ner").model.get_ref("tok2vec")
    docs = [plain_nlp.make_doc(t) for t in texts]
    for a, b in zip(ours.predict(docs), theirs.predict(docs), strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()


def test_entities_are_thincs(deid_detector, plain_nlp, texts):
    ours = [[(e.start_char, e.end_char, e.label_) for e in d.ents]
            for d in deid_detector._pack.nlp.pipe(texts, batch_size=16)]
    theirs = [[(e.start_char, e.end_char, e.label_) for e in d.ents]
              for d in plain_nlp.pipe(texts, batch_size=16)]
    assert ours == theirs
    assert any(ours)


def test_maxout_ties_between_zeros_and_nans_are_decided_as_thinc_decides():
    from thinc.api import NumpyOps

    from agent.deid.ner_ops import InferenceOps

    rng = np.random.default_rng(7)
    X = rng.standard_normal((50, 4, 3)).astype("f")
    best, _ = InferenceOps().maxout(X)
    assert best.tobytes() == NumpyOps().maxout(X)[0].tobytes()
    # -0.0 first then +0.0: thinc keeps the first piece; a NaN after a number is skipped.
    X[0, 0] = [-0.0, 0.0, -1.0]
    X[1, 1] = [1.0, np.nan, 0.5]
    best, _ = InferenceOps().maxout(X)
    expected = NumpyOps().maxout(X)[0]
    assert best.tobytes() == expected.tobytes()
    assert np.signbit(best[0, 0]) and best[1, 1] == 1.0


def test_the_model_refuses_to_train():
    from agent.deid.ner_ops import InferenceOps

    ops = InferenceOps()
    best, which = ops.maxout(np.ones((2, 2, 3), dtype="f"))
    with pytest.raises(RuntimeError, match="prediction only"):
        ops.backprop_maxout(best, which, 3)
