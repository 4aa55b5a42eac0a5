#!/usr/bin/python
# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_instance_type_info
short_description: Read the size of EC2 instance types and the zones that offer them
version_added: 0.1.0
description:
  - Reads the vCPU count and memory of EC2 instance types (C(DescribeInstanceTypes)) and the availability zones of the
    region that offer each of them (C(DescribeInstanceTypeOfferings)).
  - The koding.gitlab.provision_aws role uses it to refuse a type that is too small for Koding, or not offered in the
    chosen zone, before it creates anything.
  - Built on amazon.aws's C(AnsibleAWSModule) (amazon.aws 7.0 or later), so region, endpoint and credentials are the
    usual amazon.aws options with their usual environment fallbacks, and the module belongs to the action group
    C(koding.gitlab.aws), which extends C(amazon.aws.aws), so one C(module_defaults) entry sets them for it and for every
    amazon.aws module.
  - C(amazon.aws.ec2_instance_type_info) reads the same, but only from amazon.aws 11.1 on; the collection supports
    amazon.aws 7.0 and later, and the C(ansible) 12 package that goes with ansible-core 2.19 ships amazon.aws 10.
    This module is the pre-flight's reader until the collection's floor reaches amazon.aws 11.1.
  - It only reads.
author:
  - koding.gitlab maintainers (@koding-gitlab)
extends_documentation_fragment:
  - koding.gitlab.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, and runs in check mode too.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  instance_types:
    description:
      - The instance types to read, for example V(c7i.xlarge).
      - A type EC2 does not know is reported in RV(unknown), not as a failure.
    type: list
    elements: str
    required: true
  timeout:
    description:
      - Seconds to wait for the endpoint to accept a connection, and again for each answer; a finite number above 0,
        at most 3600.
      - A request that times out, or is throttled, is tried up to three times in all (botocore's standard retries).
    type: float
    default: 30
seealso:
  - name: DescribeInstanceTypes
    description: The EC2 API call read for the size of each type.
    link: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html
"""

EXAMPLES = r"""
- name: Read the size of the types Koding could run on
  koding.gitlab.aws_instance_type_info:
    instance_types:
      - c7i.xlarge
      - c3.xlarge
    region: eu-west-1
  register: types

- name: Show the zones that offer c7i.xlarge
  ansible.builtin.debug:
    msg: "{{ (types.instance_types | selectattr('instance_type', 'equalto', 'c7i.xlarge') | first).availability_zones }}"
"""

RETURN = r"""
instance_types:
  description: One entry per known type, in the order asked for.
  returned: success
  type: list
  elements: dict
  contains:
    instance_type:
      description: The type's name.
      type: str
      sample: c7i.xlarge
    vcpus:
      description: The default number of vCPUs.
      type: int
      sample: 4
    memory_mib:
      description: Memory in MiB.
      type: int
      sample: 8192
    current_generation:
      description: Whether EC2 lists the type as a current generation.
      type: bool
      sample: true
    architectures:
      description: The processor architectures the type supports.
      type: list
      elements: str
      sample: [x86_64]
    availability_zones:
      description: The zones of the region that offer the type, sorted.
      type: list
      elements: str
      sample: [eu-west-1a, eu-west-1b, eu-west-1c]
unknown:
  description: The asked-for types EC2 does not know.
  returned: success
  type: list
  elements: str
  sample: [c9z.huge]
region:
  description: The region that was read.
  returned: success
  type: str
  sample: eu-west-1
"""

import os
import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.koding.gitlab.plugins.module_utils._input_checks import validate_http_url, validate_number, validate_text, validate_token
from ansible_collections.koding.gitlab.plugins.module_utils._redaction import cut, redact, secret_variants, url_secrets

try:
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError
except ImportError:
    pass  # AnsibleAWSModule reports the missing botocore

# EC2 names the types it does not know in its error message.
UNKNOWN_TYPES_RE = re.compile(r"\[([^\]]*)\]")
# A region name is a host label (botocore/utils.py, validate_region_name); \Z, so no trailing newline either.
REGION_RE = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?\Z")
# Tries per request, the first included (botocore's standard retry mode).
MAX_ATTEMPTS = 3
MAX_TIMEOUT = 3600
# Longest error text quoted (botocore quotes a whole unparsable answer, more than once).
MAX_MESSAGE = 500
SECRET_OPTIONS = ("access_key", "secret_key", "session_token")
# Where boto3's chain finds the same secrets when the options are not given.
SECRET_ENVIRONMENT = ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def check_options(module):
    """Every problem found without asking AWS, each naming its option; secrets are never quoted."""
    params = module.params
    problems = [validate_token(params[name], name, ascii_only=True) for name in SECRET_OPTIONS]
    problems.append(validate_number(params["timeout"], "timeout", minimum=0, maximum=MAX_TIMEOUT, exclusive_minimum=True))
    if params["endpoint_url"] is not None:
        problems.append(validate_http_url(params["endpoint_url"], "endpoint_url"))
    for name in ("region", "profile"):
        problems.append(validate_text(params[name], name))
    if params["region"] is not None and not validate_text(params["region"], "region") and not REGION_RE.match(params["region"]):
        problems.append("Option region must be a region name such as eu-west-1 (letters, digits and hyphens), not %r." % params["region"])
    problems = [problem for problem in problems if problem]
    if problems:
        module.fail_json(msg="; ".join(problems))


def instance_type_names(module):
    return list(dict.fromkeys(module.params["instance_types"]))


def ec2_client(module):
    """The EC2 client from amazon.aws's connection options, with this module's timeout and retries."""
    config = Config(
        connect_timeout=module.params["timeout"],
        read_timeout=module.params["timeout"],
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
    )
    return module.client("ec2", config=config)


def describe_types(client, names):
    """Returns ({name: description}, [unknown names]); EC2 fails the whole call on one unknown name."""
    known = {}
    unknown = []
    remaining = list(names)
    while remaining:
        try:
            paginator = client.get_paginator("describe_instance_types")
            for page in paginator.paginate(InstanceTypes=remaining):
                for item in page.get("InstanceTypes") or []:
                    if isinstance(item, dict) and item.get("InstanceType") in remaining:
                        known[item["InstanceType"]] = item
            return known, unknown
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "InvalidInstanceType":
                raise
            match = UNKNOWN_TYPES_RE.search(error.response["Error"].get("Message") or "")
            named = [n.strip() for n in match.group(1).split(",")] if match else []
            named = [n for n in named if n in remaining]
            if not named:
                # The message did not say which: all of them are unknown to us.
                named = remaining
            unknown.extend(named)
            remaining = [n for n in remaining if n not in named]
    return known, unknown


def offered_zones(client, names):
    zones = {}
    paginator = client.get_paginator("describe_instance_type_offerings")
    pages = paginator.paginate(
        LocationType="availability-zone",
        Filters=[{"Name": "instance-type", "Values": names}],
    )
    for page in pages:
        for offering in page.get("InstanceTypeOfferings") or []:
            if isinstance(offering, dict) and offering.get("InstanceType") in names and offering.get("Location"):
                zones.setdefault(offering["InstanceType"], set()).add(offering["Location"])
    return zones


def failure(module, what, error, secrets):
    """Fail with botocore's error, cut short, without any secret or URL user-info."""
    text = cut(redact(error, secrets), MAX_MESSAGE)
    module.fail_json(msg="%s failed (%s): %s" % (what, type(error).__name__, text))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_types=dict(type="list", elements="str", required=True),
            timeout=dict(type="float", default=30),
        ),
        supports_check_mode=True,
    )

    # Every form a secret may take in a message (a token with a newline shows escaped, as repr writes it).
    secrets = []
    values = [module.params[name] for name in SECRET_OPTIONS] + [os.environ.get(name) for name in SECRET_ENVIRONMENT]
    for value in values + url_secrets(module.params["endpoint_url"]):
        secrets.extend(secret_variants(value))
    module.no_log_values.update(secrets)
    names = instance_type_names(module)
    if not names:
        module.fail_json(msg="instance_types must name at least one instance type.")
    check_options(module)
    # amazon.aws reports a missing region, an unknown profile or a bad endpoint itself, naming it.
    client = ec2_client(module)
    try:
        known, unknown = describe_types(client, names)
        zones = offered_zones(client, list(known)) if known else {}
    except (BotoCoreError, ClientError, ResponseParserError, ValueError) as error:
        failure(module, "Reading the instance types", error, secrets)

    result = []
    for name in names:
        if name not in known:
            continue
        item = known[name]
        result.append(
            dict(
                instance_type=name,
                vcpus=(item.get("VCpuInfo") or {}).get("DefaultVCpus", 0),
                memory_mib=(item.get("MemoryInfo") or {}).get("SizeInMiB", 0),
                current_generation=item.get("CurrentGeneration", False),
                architectures=(item.get("ProcessorInfo") or {}).get("SupportedArchitectures", []),
                availability_zones=sorted(zones.get(name, ())),
            )
        )
    module.exit_json(changed=False, instance_types=result, unknown=unknown, region=client.meta.region_name)


if __name__ == "__main__":
    main()
