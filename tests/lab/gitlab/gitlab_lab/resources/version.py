"""GET /version (lib/api/version.rb) and GET /metadata (lib/api/metadata.rb, 15.2+)."""


def get_version(ctx):
    return 200, {"version": ctx.profile.version, "revision": ctx.profile.revision}


def get_metadata(ctx):
    return 200, {
        "version": ctx.profile.version,
        "revision": ctx.profile.revision,
        "kas": {"enabled": False, "externalUrl": None, "externalK8sProxyUrl": None, "version": None},
        "enterprise": False,
    }


ROUTES = [
    ("GET", r"/api/v4/version", get_version, "user", None),
    ("GET", r"/api/v4/metadata", get_metadata, "user", "metadata"),
]
