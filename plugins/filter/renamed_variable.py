# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: renamed_variable
short_description: Take the value of a role variable's old name, with a deprecation warning
version_added: 0.1.0
description:
  - Returns its input unchanged, and shows a deprecation warning (once a run) that O(old) is renamed to O(new) and
    will be removed in the collection's release 2.0.0.
  - A role's defaults use it so that the old name keeps working for a while, for example
    C(provision_aws_koding_public_port) defaults to C(provision_aws_koding_port) when that is set.
options:
  _input:
    description: The value set under the old name.
    type: raw
    required: true
  old:
    description: The old name.
    type: str
    required: true
  new:
    description: The new name.
    type: str
    required: true
"""

EXAMPLES = r"""
provision_aws_koding_public_port: >-
  {{ provision_aws_koding_port | koding.gitlab.renamed_variable('provision_aws_koding_port', 'provision_aws_koding_public_port')
     if provision_aws_koding_port is defined else 8090 }}
"""

RETURN = r"""
_value:
  description: The input, unchanged.
  type: raw
"""

from ansible.utils.display import Display


def renamed_variable(value, old, new):
    # Display shows one deprecation message once a run, however often the variable is templated.
    Display().deprecated('The variable %s is renamed to %s; set %s instead.' % (old, new, new), version='2.0.0', collection_name='koding.gitlab')
    return value


class FilterModule(object):
    def filters(self):
        return {'renamed_variable': renamed_variable}
