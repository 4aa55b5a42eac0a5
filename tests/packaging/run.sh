#!/usr/bin/env bash
# Packaging: the collection as Galaxy and AWX users get it, beyond what antsibull-nox's build-import-check
# (ansible-galaxy collection build, galaxy-importer with galaxy-importer.cfg) and docs-check (antsibull-docs
# lint-collection-docs) sessions check; the packaging stage runs those first (noxfile.py).
#   1. the tarball holds the collection and none of the lab, caches or toolchains, and every relative link of the
#      README (as Galaxy renders it) names a file it holds;
#   2. the tarball installed into an empty collections path (its dependencies from the `ansible` package, standing
#      in for Galaxy): ansible-doc and the playbooks koding.gitlab.site / verify / teardown resolve from there;
#   3. ansible-builder: introspection of the installed collection lists every Python and system package it needs,
#      and `create` makes a build context from the AWX example's execution environment (antsibull-nox's ee-check
#      would build and run an image from a registry, which the tests do not reach);
#   4. the AWX example project passes --syntax-check and ansible-lint.
# Runs on the packaging toolchain. Exits non-zero on the first failed check.
set -euo pipefail

# shellcheck source=../../.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"

kg_toolchain packaging
kg_collection_tree
work="${KG_CACHE}/packaging"
rm -rf "${work}"
mkdir -p "${work}"

check() {
    printf -- '--- %s\n' "$*"
}

check "build"
ansible-galaxy collection build "${KG_TREE}" --output-path "${work}" --force >"${work}/build.log"
tarball="$(ls "${work}"/koding-gitlab-*.tar.gz)"
tar -tzf "${tarball}" >"${work}/contents.txt"
for unwanted in '^tests/lab/' '^extensions/molecule/' '^tests/output/' '^\.venv' '^\.cache/' '^\.lab/' '^\.ci/' '^\.git/' 'integration_config\.yml$'; do
    if grep -Eq "${unwanted}" "${work}/contents.txt"; then
        grep -E "${unwanted}" "${work}/contents.txt" | head -n 5
        kg_die "the tarball holds files it must not (${unwanted})"
    fi
done
for wanted in MANIFEST.json FILES.json README.md meta/runtime.yml meta/execution-environment.yml playbooks/site.yml \
              playbooks/verify.yml roles/koding/README.md roles/verify/meta/argument_specs.yml plugins/modules/gitlab_oauth_app.py; do
    grep -qx "${wanted}" "${work}/contents.txt" || kg_die "the tarball lacks ${wanted}"
done
echo "$(wc -l <"${work}/contents.txt") files in $(basename "${tarball}") ($(du -k "${tarball}" | cut -f1) KiB)"
# The README as Galaxy renders it: every relative link names a file the tarball holds.
python - "${KG_TREE}/README.md" "${work}/contents.txt" <<'EOF_PY' || kg_die "README.md links to files the tarball does not hold"
import re
import sys

with open(sys.argv[1]) as handle:
    links = re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', handle.read())
with open(sys.argv[2]) as handle:
    shipped = {line.strip().rstrip('/') for line in handle}
dangling = sorted({link for link in links if '://' not in link and not link.startswith('mailto:') and link.rstrip('/') not in shipped})
if dangling:
    sys.exit('README.md links to files the tarball lacks: %s' % ', '.join(dangling))
print('README.md: %d relative links, each to a file in the tarball' % len([link for link in links if '://' not in link]))
EOF_PY

check "install the tarball into an empty collections path"
installed="${work}/collections"
# Only the installed copy and the `ansible` package's collections: not the source tree.
export ANSIBLE_COLLECTIONS_PATH="${installed}"
ansible-galaxy collection install --no-deps --force -p "${installed}" "${tarball}" >"${work}/install.log"
where="$(ansible-galaxy collection list koding.gitlab --format json | python -c 'import json, sys; print(next(iter(json.load(sys.stdin))))')"
case "${where}" in
    "${installed}"*) echo "koding.gitlab resolves to the installed copy" ;;
    *) kg_die "koding.gitlab resolves to ${where}, not to the installed tarball" ;;
esac
for dependency in community.docker amazon.aws; do
    ansible-galaxy collection list "${dependency}" >/dev/null 2>&1 || kg_die "${dependency} is not available"
done
ansible-doc -t role koding.gitlab.verify >/dev/null
ansible-doc koding.gitlab.koding_wiring_info >/dev/null
inventory="${work}/inventory.yml"
printf 'koding:\n  hosts:\n    koding.example.com:\n' >"${inventory}"
for playbook in site verify; do
    ansible-playbook -i "${inventory}" --syntax-check "koding.gitlab.${playbook}" >/dev/null
    echo "koding.gitlab.${playbook}: syntax ok from the installed collection"
done
# A verify with no Koding host in the inventory fails, naming why, instead of passing with nothing checked.
printf 'all:\n  hosts:\n    elsewhere.example.com:\n' >"${work}/no-koding.yml"
if ansible-playbook -i "${work}/no-koding.yml" koding.gitlab.verify >"${work}/verify-nothing.log" 2>&1; then
    kg_die "koding.gitlab.verify passed with no host in the group koding"
fi
grep -q "The inventory's group koding has no host, so there is nothing to verify" "${work}/verify-nothing.log" \
    || { cat "${work}/verify-nothing.log"; kg_die "koding.gitlab.verify failed on an empty group koding without saying why"; }
echo "koding.gitlab.verify fails, naming why, when the group koding has no host"
unset ANSIBLE_COLLECTIONS_PATH

check "ansible-builder"
ansible-builder introspect --sanitize "${installed}" >"${work}/introspect.txt"
for needed in requests boto3 botocore git; do
    grep -Eiq "^- '?${needed}([<>=!~ ;[]|$)" "${work}/introspect.txt" || {
        cat "${work}/introspect.txt"
        kg_die "ansible-builder introspect does not list ${needed}"
    }
done
echo "introspection lists requests, boto3, botocore and git"
ansible-builder create -f "${KG_ROOT}/docs/awx/execution-environment.yml" -c "${work}/ee-context" \
    --output-filename Containerfile >"${work}/builder.log"
[ -s "${work}/ee-context/Containerfile" ] || kg_die "ansible-builder create wrote no Containerfile"
grep -q 'quay.io/ansible/awx-ee' "${work}/ee-context/Containerfile" || kg_die "the Containerfile does not start from the documented base image"
# The image's ansible-core: every release the EE definition lets pip install is one meta/runtime.yml accepts.
python - "${KG_TREE}/meta/runtime.yml" "${work}/ee-context/Containerfile" <<'EOF_PY' || kg_die "the execution environment's ansible-core is not one the collection supports"
import re
import sys

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

with open(sys.argv[1]) as handle:
    supported = SpecifierSet(yaml.safe_load(handle)['requires_ansible'])
with open(sys.argv[2]) as handle:
    match = re.search(r'^ARG ANSIBLE_INSTALL_REFS="ansible-core([^ "]+)', handle.read(), re.MULTILINE)
if not match:
    sys.exit('the Containerfile installs no ansible-core of its own (the base image brings one below the floor)')
installed = SpecifierSet(match.group(1))
floors = [Version(spec.version) for spec in installed if spec.operator in ('>=', '==', '~=')]
if not floors or any(floor not in supported for floor in floors):
    sys.exit('the Containerfile installs ansible-core%s, the collection requires %s' % (installed, supported))
print('the execution environment installs ansible-core%s (the collection requires %s)' % (installed, supported))
EOF_PY
echo "ansible-builder create: build context in ${work#"${KG_ROOT}"/}/ee-context"

check "the AWX example project"
# awx.awx ships only in the `ansible` release of the compat toolchain.
kg_toolchain compat
for playbook in awx_setup site verify; do
    (cd "${KG_ROOT}/docs/awx" && ANSIBLE_COLLECTIONS_PATH="${installed}" \
        ansible-playbook -i localhost, --syntax-check "${playbook}.yml" >/dev/null) \
        || kg_die "docs/awx/${playbook}.yml does not pass --syntax-check"
    echo "docs/awx/${playbook}.yml: syntax ok (ansible-core $(ansible --version | head -n 1 | grep -o '[0-9][0-9.]*' | head -n 1))"
done
# ansible-lint (production profile) on the AWX playbook, with the compat toolchain's awx.awx on the path.
awx_collections="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
[ -d "${awx_collections}/ansible_collections/awx/awx" ] || kg_die "the compat toolchain has no awx.awx"
# Its own configuration: the project's excludes this playbook from the main lint stage, which has no awx.awx.
printf -- '---\nprofile: production\noffline: true\n' >"${work}/awx-lint.yml"
(cd "${KG_ROOT}" && ANSIBLE_HOME="${work}/ansible-lint-home" ANSIBLE_COLLECTIONS_PATH="${installed}:${awx_collections}" \
    PATH="${KG_ROOT}/.venv/packaging/bin:${PATH}" ansible-lint -c "${work}/awx-lint.yml" --nocolor docs/awx/awx_setup.yml) \
    || kg_die "ansible-lint refused docs/awx/awx_setup.yml"
echo "packaging: all checks passed"
