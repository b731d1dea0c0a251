"""Eligibility: trial criteria as data (language), compiled (library) and evaluated with
three-valued logic against a patient's facts (evaluate). See criteria/VOCABULARY.md."""
