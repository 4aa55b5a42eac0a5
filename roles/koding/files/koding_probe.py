# Reads, in one pass and without writing anything, what the koding role needs to know about the
# Docker host: the checkout's commit, the SHA-1 of the files the role manages, the stamps of its
# build and Mongo seed, the upstream files it edits, the project's containers, the bundled Mongo
# volume and Docker's data directory. Prints one JSON object.
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


def docker(*args):
    try:
        answer = subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return answer.stdout.strip() if answer.returncode == 0 else None


if result["files"].get("compose.yml"):
    listing = docker("compose", "--project-name", spec["project"], "--project-directory", spec["base_dir"],
                     "ps", "--all", "--format", "json")
    if listing is not None:
        # One JSON object per line (Compose 2.21+), or one JSON list (before).
        text = listing.strip()
        rows = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line]
        result["containers"] = [{key: row.get(key) for key in ("Service", "State", "Health", "Name", "Publishers")}
                                for row in rows]

if spec.get("mongo_volume"):
    result["mongo_volume"] = docker("volume", "inspect", "--format", "{{.CreatedAt}}", spec["mongo_volume"])
if spec.get("docker_root"):
    result["docker_root"] = docker("info", "--format", "{{.DockerRootDir}}")

print(json.dumps(result))
