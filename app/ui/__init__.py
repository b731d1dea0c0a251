"""The coordinator's pages: server-rendered HTML over the same service functions as the API.

The first of issue 14's pages are the trial library's (app/ui/routes.py): ``/ui/trials`` and
``/ui/trials/{nct_id}``. Match report, curation and match workflow pages are to come.
"""
