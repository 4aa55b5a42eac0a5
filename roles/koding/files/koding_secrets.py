# Keeps the role's generated secrets on the Docker host: creates each missing file with mode 0600
# from the start (never readable by others, not even for a moment), puts an existing one back to
# 0600 and root, and prints the values as JSON. With --check it reads only.
# Run by the role as `python -c` (under no_log), with the file paths as arguments.
import json
import os
import secrets
import string
import sys

check_mode = sys.argv[1] == "--check"
paths = sys.argv[2:]
alphabet = string.ascii_letters + string.digits
values, changed = {}, []

for path in paths:
    if not os.path.exists(path):
        if check_mode:
            values[path] = None
            changed.append(path)
            continue
        # A leading letter: Koding's Node code JSON-parses KONFIG_* values, and must get a string.
        token = secrets.choice(string.ascii_letters) + "".join(secrets.choice(alphabet) for position in range(63))
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as secret_file:
            secret_file.write(token + "\n")
        changed.append(path)
    status = os.stat(path)
    wrong_owner = os.geteuid() == 0 and (status.st_uid, status.st_gid) != (0, 0)
    if status.st_mode & 0o7777 != 0o600 or wrong_owner:
        if not check_mode:
            os.chmod(path, 0o600)
            if wrong_owner:
                os.chown(path, 0, 0)
        changed.append(path)
    with open(path) as secret_file:
        values[path] = secret_file.read().strip()

print(json.dumps({"values": values, "changed": sorted(set(changed))}))
