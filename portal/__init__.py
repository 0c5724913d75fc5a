"""The web pages for people: learners, issuer officers, accreditors, auditors and admins.

Server-rendered (Jinja2 through Litestar's template support), Simplified Chinese first, on the
same desks the API uses. ``portal.app`` assembles it; ``api.app`` mounts it beside ``/v1``.
"""
