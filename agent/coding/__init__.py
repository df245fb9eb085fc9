"""ICD-10 coding co-pilot: note-level code suggestions, coding conventions, confidence
routing and a re-ranker learned from coders' decisions."""
