"""One route table for the whole lab, built from each resource's ROUTES and the profile's capabilities."""

import re

from .params import ApiError, not_found
from .resources import applications, hooks, oauth, settings, users, version, web

RESOURCES = (version, users, settings, applications, hooks, oauth, web)


API_V4 = re.compile(r"/api/v4(/.*)?")


def rails_not_found(ctx):
    """No /api/v4 at all (GitLab 8.13 to 8.16): Rails' 404, an empty body for a GET, JSON for other methods."""
    if ctx.method in ("GET", "HEAD"):
        return 404, None
    return 404, {"status": "404", "error": "Not Found"}


class RouteTable:
    """The routes this profile serves. Anything else is Grape's catch-all 404; a served path with another method is a
    404 too, or a 405 where the profile plays Grape 0.18 (grape_405). Without api_v4, /api/v4 is Rails' 404 and only
    GET /api/v3/version is served."""

    def __init__(self, profile):
        self.profile = profile
        self.routes = []
        if not profile.has("api_v4"):
            self.routes.append(("GET", re.compile(r"/api/v3/version/?"), version.get_version, "user"))
            self.routes.append(("GET", API_V4, rails_not_found, "user"))
            self.routes.extend((method, API_V4, rails_not_found, None) for method in ("POST", "PUT", "DELETE", "PATCH"))
        for resource in RESOURCES:
            for method, pattern, handler, access, feature in resource.ROUTES:
                if feature is None or profile.has(feature):
                    self.routes.append((method, re.compile(pattern + r"/?"), handler, access))

    def resolve(self, method, path):
        """(handler, access, match) for this request, or raises the catch-all 404 (lib/api/api.rb: route :any, '*path')."""
        lookup = "GET" if method == "HEAD" else method
        allowed = []
        for route_method, pattern, handler, access in self.routes:
            match = pattern.fullmatch(path)
            if match and route_method == lookup:
                return handler, access, match
            if match:
                allowed.append(route_method)
        if allowed and self.profile.has("grape_405"):
            raise ApiError(405, {"error": "405 Not Allowed"}, {"Allow": ", ".join(sorted(set(allowed)))})
        raise not_found()
