"""Writes the package.json of upstream Koding's npm tree as the upstream-code tests install it.

Upstream's own dependencies (its package.json at the pinned commit), with the versions npm no longer serves
replaced by the nearest published release, and overrides for the transitive packages whose current releases
Node 0.10 cannot parse.   python make_package.py UPSTREAM_TREE OUTPUT_DIR
"""

import json
import os
import sys

# Unpublished from the registry: the nearest release that still installs.
SUBSTITUTES = {
    'appmetrics': '1.1.2',
    'coffee-unused': '0.2.1',
    'disposable-email-domains': '1.0.6',
    'gitlab': '1.7.1',
    'ratelimit.js': '1.8.0',
    'sendmail': '0.2.2',
    'yield-siftscience': '0.2.0',
    'ngrok': '0.1.98',
}
# Transitive packages pinned to releases Node 0.10 can load.
OVERRIDES = {
    'thirty-two': '0.0.2',
    'jsonpointer': '4.0.0',
    'ip': '1.1.3',
    'word-wrap': '1.2.1',
    'smart-buffer': '1.0.11',
    'chainsaw': {'traverse': '0.3.9'},
    'psl': '1.1.29',
}


def main(upstream, output):
    with open(os.path.join(upstream, 'package.json'), encoding='utf-8') as handle:
        upstream_package = json.load(handle)
    package = {
        'name': 'koding-upstream-tree',
        'version': '0.0.0',
        'private': True,
        'description': "upstream Koding's npm dependencies, for running its server code in tests",
        'dependencies': {},
        'overrides': OVERRIDES,
    }
    for section in ('dependencies', 'devDependencies'):
        for name, version in upstream_package.get(section, {}).items():
            package['dependencies'][name] = SUBSTITUTES.get(name, version)
    os.makedirs(output, exist_ok=True)
    with open(os.path.join(output, 'package.json'), 'w', encoding='utf-8') as handle:
        json.dump(package, handle, indent=2, sort_keys=True)
        handle.write('\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
