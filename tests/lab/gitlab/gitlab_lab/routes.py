"""One route table for the whole lab, built from each resource's ROUTES and the profile's capabilities."""

import re

from .params import not_found
from .resources import applications, hooks, oauth, settings, users, version, web

RESOURCES = (version, users, settings, applications, hooks, oauth, web)


class RouteTable:
    """The routes this profile serves. Anything else, including a served path with another method, is Grape's catch-all 404."""

    def __init__(self, profile):
        self.routes = []
        for resource in RESOURCES:
            for method, pattern, handler, access, feature in resource.ROUTES:
                if feature is None or profile.has(feature):
                    self.routes.append((method, re.compile(pattern + r"/?"), handler, access))

    def resolve(self, method, path):
        """(handler, access, match) for this request, or raises the catch-all 404 (lib/api/api.rb: route :any, '*path')."""
        lookup = "GET" if method == "HEAD" else method
        for route_method, pattern, handler, access in self.routes:
            match = pattern.fullmatch(path)
            if match and route_method == lookup:
                return handler, access, match
        raise not_found()
