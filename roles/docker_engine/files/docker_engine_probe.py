# Reads, without writing anything, whether Docker is already installed and running the way the
# docker_engine role would leave it: package states, files, the engine's and Compose's versions,
# and whether the service is enabled. Prints one JSON object. Run by the role as `python -c`,
# with a JSON spec as the only argument.
import json
import os
import subprocess
import sys

spec = json.loads(sys.argv[1])


def start(*argv):
    """Starts a command; its answer is read later, so the probe's commands run side by side."""
    try:
        return subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:
        return None


def answer(process):
    """The stripped output of a started command, or None if it failed or took more than 30 s."""
    if process is None:
        return None
    try:
        output = process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    return output.strip() if process.returncode == 0 else None


plugin = spec.get("compose_plugin")
started = {
    "docker": start("docker", "info", "--format", "{{.ServerVersion}}"),
    "compose": start("docker", "compose", "version", "--short"),
    "plugin": start(plugin, "version", "--short") if plugin and os.path.exists(plugin) else None,
    "enabled": start("systemctl", "is-enabled", spec["service"]) if spec.get("systemd") else None,
}

installed = {name: False for name in spec["packages"]}
if installed:
    listing = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\\n"] + list(installed),
                             capture_output=True, text=True, check=False).stdout
    for line in listing.splitlines():
        name, _, status = line.partition(" ")
        if name in installed:
            installed[name] = status.strip() == "installed"

print(json.dumps(dict({
    "packages": installed,
    "files": {path: os.path.exists(path) for path in spec["files"]},
}, **{name: answer(process) for name, process in started.items()})))
