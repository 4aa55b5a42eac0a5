"""One route table for the public port, built from each resource's ROUTES: (method, path pattern, handler name).
A resource with a served(konfig) function is served only when it says so (the hook receiver)."""

import re

from .resources import accounts, gitlab_hook, health, oauth, teams

RESOURCES = (health, teams, accounts, gitlab_hook, oauth)


class RouteTable:
    def __init__(self):
        self.routes = []
        for resource in RESOURCES:
            for method, pattern, name in resource.ROUTES:
                self.routes.append((method, re.compile(pattern), getattr(resource, name), getattr(resource, 'served', None)))

    def resolve(self, method, path, konfig):
        """(handler, match) of the route that answers this request, or None (Express's 404)."""
        for route_method, pattern, handler, served in self.routes:
            match = pattern.fullmatch(path)
            if match and route_method == method and (served is None or served(konfig)):
                return handler, match
        return None
