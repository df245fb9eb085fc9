"""Adapters that meet users in the tools they already use: a LangChain retriever, tools and
chat model (``langchain`` extra), spaCy pipeline components (spaCy is a base dependency) and
the clinical recognizer pack for Presidio (``presidio`` extra for the anonymizer operators).

Each adapter is a thin wrapper around the functions the CLI calls; the core never imports
this package. Importing an adapter whose extra is missing raises an ImportError that names
the ``pip install`` command.
"""
