"""Vocabularies shipped in PyPI packages (drugs, diseases, ICD-10, UNII, RxNorm) and
their matchers."""
