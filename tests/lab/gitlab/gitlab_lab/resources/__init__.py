"""One module per API resource. Each declares ROUTES: (method, path pattern, handler, access, feature).

access: "admin", "user" (any signed-in user) or None (no API authentication); feature: the Profile capability
the route needs, or None. routes.py puts them on one table.
"""
