"""The requester's pages (A19, A20, A24): links, labels, view and templates; routes in api/routes/pages.py."""
