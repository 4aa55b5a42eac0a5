# Reads, without writing anything, whether Docker is already installed and running the way the
# docker_engine role would leave it: package states, files, the engine's and Compose's versions,
# and whether the service is enabled. Prints one JSON object. Run by the role as `python -c`,
# with a JSON spec as the only argument.
import json
import os
import subprocess
import sys

spec = json.loads(sys.argv[1])


def run(*argv):
    try:
        answer = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return answer.stdout.strip() if answer.returncode == 0 else None


installed = {name: False for name in spec["packages"]}
if installed:
    listing = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\\n"] + list(installed),
                             capture_output=True, text=True, check=False).stdout
    for line in listing.splitlines():
        name, _, status = line.partition(" ")
        if name in installed:
            installed[name] = status.strip() == "installed"

plugin = spec.get("compose_plugin")
print(json.dumps({
    "packages": installed,
    "files": {path: os.path.exists(path) for path in spec["files"]},
    "docker": run("docker", "info", "--format", "{{.ServerVersion}}"),
    "compose": run("docker", "compose", "version", "--short"),
    "plugin": run(plugin, "version", "--short") if plugin and os.path.exists(plugin) else None,
    "enabled": run("systemctl", "is-enabled", spec["service"]) if spec.get("systemd") else None,
}))
