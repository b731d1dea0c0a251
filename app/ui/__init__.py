"""The coordinator's pages: server-rendered HTML over the same service functions as the API.

The trial library (app/ui/routes.py): ``/ui/trials`` and ``/ui/trials/{nct_id}``. The match
report (app/ui/match_routes.py, laid out by app/ui/match_report.py): ``/ui/match`` and
``/ui/reports/{id}``. Curation and match workflow pages are to come.
"""
