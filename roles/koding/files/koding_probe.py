# Reads, in one pass and without writing anything, what the koding role needs to know about the
# Docker host: the checkout's commit, the SHA-1 of the files the role manages, the stamps of its
# build and Mongo seed, the upstream files it edits, the project's containers, the bundled Mongo
# volume, Docker's data directory and the kept secrets. Prints one JSON object.
# Run by the role as `python -c`, with a JSON spec as the only argument.
import hashlib
import json
import os
import subprocess
import sys

spec = json.loads(sys.argv[1])
result = {"base_dir_mode": None, "overlay_dir": False, "head": None, "files": {}, "stamps": {}, "sources": {},
          "mongo_volume": None, "docker_root": None, "containers": None}

try:
    result["base_dir_mode"] = "%04o" % (os.stat(spec["base_dir"]).st_mode & 0o7777)
except OSError:
    pass

result["overlay_dir"] = os.path.isdir(os.path.join(spec["base_dir"], "overlay"))

try:
    with open(os.path.join(spec["checkout_dir"], ".git", "HEAD")) as head:
        result["head"] = head.read().strip()
except OSError:
    pass

for name, path in spec["files"].items():
    try:
        with open(path, "rb") as managed:
            result["files"][name] = hashlib.sha1(managed.read()).hexdigest()
    except OSError:
        result["files"][name] = None

for name, path in spec["stamps"].items():
    try:
        with open(path, encoding="utf-8") as stamp:
            result["stamps"][name] = stamp.read(1000).strip()
    except (OSError, ValueError):
        result["stamps"][name] = None

for relpath in spec["sources"]:
    try:
        with open(os.path.join(spec["checkout_dir"], relpath), encoding="utf-8") as source:
            result["sources"][relpath] = source.read()
    except OSError:
        result["sources"][relpath] = None


def start_docker(*args):
    """Starts a docker command; its answer is read later, so the probe's commands run side by side."""
    try:
        return subprocess.Popen(["docker"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:
        return None


def answer(process):
    """The stripped output of a started command, or None if it failed or took more than 60 s."""
    if process is None:
        return None
    try:
        output = process.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    return output.strip() if process.returncode == 0 else None


started = {
    "containers": start_docker("compose", "--project-name", spec["project"], "--project-directory", spec["base_dir"],
                               "ps", "--all", "--format", "json") if result["files"].get("compose.yml") else None,
    "mongo_volume": start_docker("volume", "inspect", "--format", "{{.CreatedAt}}", spec["mongo_volume"])
    if spec.get("mongo_volume") else None,
    "docker_root": start_docker("info", "--format", "{{.DockerRootDir}}") if spec.get("docker_root") else None,
}

# The kept secrets, when each is there with mode 0600 (the secrets step then has nothing to do).
# Their values make this output secret: the role runs the probe under no_log.
result["secrets"] = {}
for path in spec.get("secrets", []):
    try:
        status = os.stat(path)
        with open(path, encoding="utf-8") as secret_file:
            value = secret_file.read().strip()
    except (OSError, ValueError):
        value = None
    else:
        wrong_owner = os.geteuid() == 0 and (status.st_uid, status.st_gid) != (0, 0)
        if status.st_mode & 0o7777 != 0o600 or wrong_owner:
            value = None
    result["secrets"][path] = value

listing = answer(started["containers"])
if listing is not None:
    # One JSON object per line (Compose 2.21+), or one JSON list (before).
    text = listing.strip()
    rows = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line]
    result["containers"] = [{key: row.get(key) for key in ("Service", "State", "Health", "Name", "Publishers")}
                            for row in rows]
result["mongo_volume"] = answer(started["mongo_volume"])
result["docker_root"] = answer(started["docker_root"])

print(json.dumps(result))
