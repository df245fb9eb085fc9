"""Array operations for de-identification's spaCy NER model, which only ever predicts.

Two steps of the NER's tok2vec (five ``Maxout`` layers, each followed by a ``LayerNorm``)
do work only training reads, or do it twice:

- thinc's ``NumpyOps.maxout`` takes the best of each unit's pieces one element at a time in
  Cython and also records which piece won (for the gradient): ~14% of the model's time.
  :class:`InferenceOps` takes the same maximum with numpy's vectorised ``np.maximum``, a
  piece at a time. A maximum is exact (no rounding); the two cases where ``np.maximum`` and
  thinc's loop could differ (a tie between +0.0 and -0.0, where thinc keeps the first
  piece; a NaN, which thinc skips unless it comes first) are checked for and handed to
  thinc's own loop.
- thinc's ``LayerNorm`` takes a row's mean, then its variance with ``ndarray.var`` (which
  takes the mean again and subtracts it again), then subtracts the mean a third time.
  :func:`_layernorm_forward` sums once and subtracts once, with the same numpy reductions
  and operations in the same order as ``ndarray.mean`` / ``ndarray.var``
  (``numpy/core/_methods.py``), so every value is the same float32.

The outputs are the same bits (``tests/agent/deid/test_ner_ops.py`` compares the tok2vec
output and the entities with thinc's own layers), so the NER finds the same entities.
"""

from __future__ import annotations

import numpy as np
from thinc.api import NumpyOps
from thinc.layers.layernorm import forward as _thinc_layernorm


class InferenceOps(NumpyOps):
    """``NumpyOps`` with a faster ``maxout`` that gives no piece index (prediction only:
    ``backprop_maxout`` refuses to run)."""

    name = "numpy"

    def maxout(self, X):
        pieces = X.shape[-1]
        best = X[..., 0].copy()
        for p in range(1, pieces):
            np.maximum(best, X[..., p], out=best)
        # A zero (maybe a -0.0 / +0.0 tie) or a NaN anywhere: thinc's loop decides, so
        # that the result is its result in every case.
        if not best.all() or np.isnan(best).any():
            return super().maxout(X)
        return best, _NO_PIECES

    def backprop_maxout(self, dY, which, P):
        if which is _NO_PIECES:
            raise RuntimeError("the de-identification NER model runs for prediction only "
                               "(agent.deid.ner_ops.InferenceOps keeps no maxout pieces); "
                               "train a model in its own spaCy pipeline instead")
        return super().backprop_maxout(dY, which, P)


# What InferenceOps.maxout gives instead of the winning pieces.
_NO_PIECES = np.zeros((0,), dtype="int32")


def _layernorm_forward(model, X, is_train: bool):
    """thinc's ``LayerNorm`` forward pass for prediction (training: thinc's own)."""
    if is_train:
        return _thinc_layernorm(model, X, is_train)
    n = X.shape[1]
    # ndarray.mean: a sum over the row divided in place by the count.
    mu = np.add.reduce(X, axis=1, keepdims=True)
    np.true_divide(mu, n, out=mu, casting="unsafe")
    # ndarray.var: the deviations, squared in place, summed and divided by the count.
    dev = X - mu
    sq = np.multiply(dev, dev)
    var = np.add.reduce(sq, axis=1, keepdims=True)
    np.true_divide(var, n, out=var, casting="unsafe")
    var += 1e-08
    # thinc: (X - mu) * var ** -0.5, then * G + b.
    Y = dev * var ** (-1.0 / 2.0)
    Y *= model.get_param("G")
    Y += model.get_param("b")

    def backprop(dY):
        raise RuntimeError("the de-identification NER model runs for prediction only "
                           "(agent.deid.ner_ops); train a model in its own spaCy pipeline")

    return Y, backprop


def use_inference_ops(model) -> None:
    """Run every layer of a thinc ``model`` (a spaCy component's) with :class:`InferenceOps`
    and the prediction-only ``LayerNorm`` (its parameters are numpy arrays already:
    ``NumpyOps`` models only)."""
    ops = InferenceOps()
    for node in model.walk():
        if type(node.ops) not in (NumpyOps, InferenceOps):
            raise TypeError(f"layer {node.name} runs on {type(node.ops).__name__}, not "
                            "NumpyOps: InferenceOps only replaces CPU numpy operations")
        node.ops = ops
        if node.name == "layernorm" and node._func is _thinc_layernorm:
            node._func = _layernorm_forward
