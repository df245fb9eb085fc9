"""Medication attributes (strength, dose, route, frequency, ...) linked to drug mentions."""
