"""The clinical vocabulary as data: code sets, value sets and unit facts.

Every code set the normalizer reads lives in a data file under ``data/`` that names its
``source``, ``version`` and ``description``; each file is parsed and checked once per
process, on first use (`app.vocabulary.files`). The modules here give typed lookups over
them, one concept each:

- `sites`: cancer sites (ICD-O-3 topography groups) from ICD-10, ICD-O-3 and SNOMED CT,
  with their hierarchy (sigmoid colon is colon; colon is colorectal).
- `histology`: ICD-O-3 morphology families with their hierarchy, and behaviour codes.
- `conditions`: comorbidity categories by ICD-10 ranges, SNOMED CT codes and words.
- `labs`: the LOINC catalogue of analytes, with canonical UCUM units and molar masses.
- `tables`: the smaller code tables (staging, performance, biomarkers, treatments, ...).

Adding a code is a change to a data file (and a test), not to Python. This package
imports nothing from `app.facts` or `app.eligibility`: it returns plain strings, and
`app.facts.codes` checks them against the fact model's value sets. Example::

    from app.vocabulary import sites
    sites.for_icd10("C18.7")      # -> Placement(site="colon", behavior="malignant")
    sites.within("colon", "colorectal")   # -> True
"""
