"""The deployed stack the end-to-end tests drive: site.yml and verify.yml runs, the lab GitLab's API, Koding's store.

Everything here talks only to 127.0.0.1 and to the containers tests/e2e/run.sh started.
"""

import json
import os
import socket
import ssl
import subprocess
import time

import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEAM = "gitlab"
# Where tests/e2e/run.sh puts the CA the front's certificate chains to (the lab CA, or Pebble's root) in the lab
# GitLab's container (Omnibus GitLab's trusted-certs).
GITLAB_TRUSTED_CA = "/etc/gitlab/trusted-certs/koding-front-ca.pem"
# Pebble's directory on the lab's network (tests/e2e/run.sh starts it with kg_pebble_container, .ci/lib.sh).
PEBBLE_DIRECTORY = "https://pebble:14000/dir"


class Stack:
    """One profile's stack, described by the environment tests/e2e/run.sh sets."""

    def __init__(self, environ=None):
        env = os.environ if environ is None else environ
        self.profile = env["E2E_PROFILE"]
        self.gitlab_url = env["E2E_GITLAB_URL"]  # http://127.0.0.1:PORT, for this host
        self.gitlab_container_url = env["E2E_GITLAB_CONTAINER_URL"]  # http://gitlab.lab.test:PORT, for containers and the browser
        self.gitlab_container = env["E2E_GITLAB_CONTAINER"]
        self.network = env["E2E_NETWORK"]
        self.project = env["E2E_PROJECT"]
        self.koding_port = int(env["E2E_KODING_PORT"])  # Koding's own port (http, 127.0.0.1)
        # The koding role's TLS front (E2E_TLS_MODE): files, a certificate from the lab CA run.sh made in E2E_TLS_DIR;
        # acme, certificates Caddy obtains from Pebble, whose own https certificate chains to that lab CA. GitLab's
        # container and the browser trust the CA the front's certificate chains to (trusted_ca). Without
        # E2E_TLS_DIR the plain-http path.
        self.tls_dir = env.get("E2E_TLS_DIR") or None
        self.tls_mode = (env.get("E2E_TLS_MODE") or "files") if self.tls_dir else "none"
        self.trusted_ca = os.path.join(self.tls_dir, "pebble-root.pem" if self.tls_mode == "acme" else "ca.pem") if self.tls_dir else None
        self.https_port = int(env.get("E2E_KODING_HTTPS_PORT") or 0)
        self.http_port = int(env.get("E2E_KODING_HTTP_PORT") or 0)
        self.lab_dir = env["E2E_LAB_DIR"]
        self.output = env["E2E_OUTPUT"]
        self.admin_token = env["KG_LAB_ADMIN_TOKEN"]
        self.lab_vars = os.path.join(ROOT, ".lab", "koding", "lab-vars.yml")
        scheme, port = ("https", self.https_port) if self.tls_dir else ("http", self.koding_port)
        self.koding_url = "%s://koding.localhost:%d" % (scheme, port)
        self.team_url = "%s://%s.koding.localhost:%d" % (scheme, TEAM, port)
        # koding_tls: files. The front starts with a certificate that expires in 5 days; a renewal test replaces it.
        self.certificate = "short.pem"
        os.makedirs(self.output, exist_ok=True)
        self.runs = 0

    # ---- Ansible ----------------------------------------------------------------------------
    @property
    def credentials_path(self):
        return os.path.join(self.lab_dir, "gitlab-wiring.json")

    @property
    def koding_env_path(self):
        return os.path.join(self.lab_dir, "stack", "koding.env")

    @property
    def public_names(self):
        return ["koding.localhost", "%s.koding.localhost" % TEAM]

    def extra_vars(self):
        """Where this stack lives and how its parts reach each other: Koding reaches GitLab by its container name."""
        extra = {
            "lab_dir": self.lab_dir,
            "koding_project_name": self.project,
            "gitlab_wiring_koding_public_port": self.koding_port,
            "koding_gitlab_url": self.gitlab_container_url,
            # GitLab's deliveries reach Koding by the names Koding is published under.
            "koding_backend_networks": [{"name": self.network, "aliases": self.public_names}],
            # Koding is published on 127.0.0.1 only; its public name is not in this machine's DNS.
            "verify_koding_connect_address": "127.0.0.1",
        }
        if self.tls_dir:
            # The front holds Koding's names on GitLab's network; the backend joins it only to reach GitLab.
            if self.tls_mode == "acme":
                extra.update(
                    {
                        "koding_tls": "acme",
                        "koding_tls_acme_directory": PEBBLE_DIRECTORY,
                        # The CA Pebble's own https endpoint is checked with.
                        "koding_tls_acme_ca_root_file": os.path.join(self.tls_dir, "ca.pem"),
                        "koding_tls_acme_email": "admin@koding.lab.test",
                    }
                )
            else:
                extra.update(
                    {
                        "koding_tls": "files",
                        "koding_tls_certificate_file": os.path.join(self.tls_dir, self.certificate),
                        "koding_tls_chain_file": os.path.join(self.tls_dir, "chain.pem"),
                        "koding_tls_key_file": os.path.join(self.tls_dir, "site.key"),
                    }
                )
            extra.update(
                {
                    "koding_tls_https_port": self.https_port,
                    "koding_tls_http_port": self.http_port,
                    # GitLab is given the front's port; Koding's own port is the backend's.
                    "gitlab_wiring_koding_public_port": self.https_port,
                    "koding_public_port": self.koding_port,
                    "koding_backend_networks": [{"name": self.network}],
                    "koding_tls_networks": [{"name": self.network, "aliases": self.public_names}],
                    "verify_tls_names": self.public_names,
                    "verify_tls_ca_path": self.trusted_ca,
                }
            )
        return extra

    def served_certificate(self, name="koding.localhost"):
        """The certificate the front serves for NAME, checked against trusted_ca alone (as GitLab and the browser do)."""
        context = ssl.create_default_context(cafile=self.trusted_ca)
        with socket.create_connection(("127.0.0.1", self.https_port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=name) as tls:
                return tls.getpeercert(binary_form=True)

    def playbook(self, name, label, *args):
        """Runs playbooks/NAME against the lab inventory; (exit status, output). The output is kept in the output directory."""
        self.runs += 1
        vars_file = os.path.join(self.lab_dir, "e2e-vars.json")
        with open(vars_file, "w", encoding="utf-8") as handle:
            json.dump(self.extra_vars(), handle)
        env = dict(os.environ, GITLAB_URL=self.gitlab_url, GITLAB_API_TOKEN=self.admin_token, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
        command = [
            "ansible-playbook",
            "-i",
            os.path.join(ROOT, "playbooks", "inventories", "lab", "hosts.yml"),
            "-e",
            "@" + self.lab_vars,
            "-e",
            "@" + vars_file,
            os.path.join(ROOT, "playbooks", name),
        ] + list(args)
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        log = os.path.join(self.output, "%02d-%s.log" % (self.runs, label))
        with open(log, "w", encoding="utf-8") as handle:
            handle.write(done.stdout)
        return done.returncode, done.stdout

    # ---- GitLab (the lab, through its API on 127.0.0.1) ---------------------------------------
    def gitlab(self, method, path, **kwargs):
        return requests.request(method, self.gitlab_url + "/api/v4" + path, headers={"PRIVATE-TOKEN": self.admin_token}, timeout=30, **kwargs)

    def gitlab_control(self, method, name, body=None):
        answer = requests.request(method, self.gitlab_url + "/__lab__/" + name, json=body, timeout=30)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def deliveries(self, event_name=None):
        found = self.gitlab_control("GET", "deliveries")
        return [item for item in found if event_name is None or item["event_name"] == event_name]

    def create_gitlab_user(self, username, password):
        fields = {"username": username, "name": username.title(), "email": "%s@example.com" % username, "password": password}
        answer = self.gitlab("POST", "/users", data=fields)
        assert answer.status_code == 201, answer.text
        return answer.json()

    # ---- Koding -------------------------------------------------------------------------------
    def koding(self, method, path, **kwargs):
        """Koding through its published port, under the public name it is configured with."""
        headers = dict(kwargs.pop("headers", {}), Host="koding.localhost:%d" % self.koding_port)
        return requests.request(method, "http://127.0.0.1:%d%s" % (self.koding_port, path), headers=headers, timeout=30, allow_redirects=False, **kwargs)

    def front_storage(self, name):
        """Where Caddy keeps the certificate it obtained for NAME on the tls_data volume (inside the front's container):
        certificates/<issuer>/<name>/<name>.crt|.key|.json, <issuer> named after the ACME directory."""
        done = subprocess.run(
            ["docker", "exec", self.container("tls"), "find", "/data/caddy/certificates", "-name", name + ".crt"],
            capture_output=True,
            text=True,
            check=True,
        )
        found = done.stdout.split()
        assert len(found) == 1, "Caddy's storage holds %r for %s" % (found, name)
        return os.path.dirname(found[0])

    def container(self, service):
        return "%s-%s-1" % (self.project, service)

    def sql(self, query, *params):
        """Rows of a query on the stand-in's store (the stack's PostgreSQL), values passed as psql variables."""
        command = ["docker", "exec", "-i", self.container("postgres"), "psql", "-X", "-q", "-t", "-A", "-F", "\t", "-d", "social"]
        for index, value in enumerate(params):
            command += ["-v", "p%d=%s" % (index, value)]
        done = subprocess.run(command, input=query, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
        return [line.split("\t") for line in done.stdout.splitlines() if line]

    def team_members(self):
        return sorted(row[0] for row in self.sql("SELECT username FROM lab_members WHERE team = :'p0';\n", TEAM))

    def koding_user(self, username):
        rows = self.sql("SELECT username, email, coalesce(gitlab_id, '') FROM lab_users WHERE username = :'p0';\n", username)
        return rows[0] if rows else None

    def session_of(self, client_id):
        """(username, team) of a Koding session (its clientId cookie), or None."""
        rows = self.sql("SELECT username, coalesce(team, '') FROM lab_sessions WHERE token = :'p0';\n", client_id)
        return tuple(rows[0]) if rows else None

    def koding_env(self):
        values = {}
        with open(self.koding_env_path, encoding="utf-8") as handle:
            for line in handle:
                name, sep, value = line.strip().partition("=")
                if sep and not name.startswith("#"):
                    values[name] = value.strip("'\"")
        return values

    def credentials(self):
        with open(self.credentials_path, encoding="utf-8") as handle:
            return json.load(handle)

    def deliver(self, payload, token):
        """A system hook delivery sent from inside the lab GitLab's container, as GitLab sends it (so over the Docker network)."""
        script = (
            "import json,os,sys,urllib.request,urllib.error\n"
            "req=urllib.request.Request(sys.argv[1],data=sys.stdin.buffer.read(),method='POST',"
            "headers={'Content-Type':'application/json','X-Gitlab-Event':'System Hook',"
            "'X-Gitlab-Token':os.environ['E2E_HOOK_TOKEN']})\n"
            "try:\n r=urllib.request.urlopen(req,timeout=10)\nexcept urllib.error.HTTPError as e:\n r=e\n"
            "print(r.status);print(r.read().decode())\n"
        )
        # The token travels by environment, never on a command line. Over https the lab CA GitLab trusts is the only trust.
        trust = ["-e", "SSL_CERT_FILE=%s" % GITLAB_TRUSTED_CA] if self.tls_dir else []
        done = subprocess.run(
            ["docker", "exec", "-i", "-e", "E2E_HOOK_TOKEN"] + trust + [self.gitlab_container, "python3", "-c", script, self.koding_url + "/-/api/gitlab"],
            env=dict(os.environ, E2E_HOOK_TOKEN=token),
            input=json.dumps(payload),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
        status, _sep, body = done.stdout.partition("\n")
        return int(status), body.strip()


def wait_for(predicate, what, timeout=60.0):
    """Polls PREDICATE until it is true (deliveries and restarts are asynchronous); fails naming WHAT."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting for %s" % what)
        time.sleep(0.5)
