"""Asserts, through boto3, what the provision_aws role left in moto.

    check_state.py ENDPOINT_URL empty|present [ADMIN_CIDR...] [type=INSTANCE_TYPE] [size=ROOT_GIB] [tls=none|files|acme]
                   [backend=CIDR,...] [port=KODING_PORT]

The security group must hold exactly: without a TLS front Koding's port from the world; with one 443 and 80 from
the world and Koding's port from the backend CIDRs only; SSH from the admin CIDRs; Klient from 203.0.113.0/24; and
never a rule that covers 9001.
    check_state.py ENDPOINT_URL interrupt

"interrupt" removes part of what the role created, the way a teardown stopped
halfway would leave it: the address released, the instance terminated.
"""

import json
import sys

import boto3

NAME = "kgtest"
IDENTITY = [
    {"Name": "tag:ManagedBy", "Values": ["koding.gitlab"]},
    {"Name": "tag:KodingDeployment", "Values": [NAME]},
]
LIVE = ["pending", "running", "stopping", "stopped", "shutting-down"]


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def check_tags(kind, resource):
    found = tags(resource)
    wanted = {"ManagedBy": "koding.gitlab", "KodingDeployment": NAME, "Project": "koding-test"}
    missing = {k: v for k, v in wanted.items() if found.get(k) != v}
    assert not missing and found.get("Name"), "%s lacks tags %s (has %s)" % (kind, missing, found)


def interrupt(ec2):
    for address in ec2.describe_addresses(Filters=IDENTITY)["Addresses"]:
        if address.get("AssociationId"):
            ec2.disassociate_address(AssociationId=address["AssociationId"])
        ec2.release_address(AllocationId=address["AllocationId"])
    for reservation in ec2.describe_instances(Filters=IDENTITY + [{"Name": "instance-state-name", "Values": LIVE}])["Reservations"]:
        for instance in reservation["Instances"]:
            ec2.modify_instance_attribute(InstanceId=instance["InstanceId"], DisableApiTermination={"Value": False})
            ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    print("removed the address and the instance")


def main():
    endpoint, expect = sys.argv[1], sys.argv[2]
    admin_cidrs = [arg for arg in sys.argv[3:] if "=" not in arg]
    expected = {"type": "c7i.xlarge", "size": "40", "tls": "none", "backend": "", "port": "8090"}
    expected.update(arg.split("=", 1) for arg in sys.argv[3:] if "=" in arg)
    ec2 = boto3.client("ec2", endpoint_url=endpoint)
    if expect == "interrupt":
        interrupt(ec2)
        return
    found = {
        "vpc": ec2.describe_vpcs(Filters=IDENTITY)["Vpcs"],
        "subnet": ec2.describe_subnets(Filters=IDENTITY)["Subnets"],
        "igw": ec2.describe_internet_gateways(Filters=IDENTITY)["InternetGateways"],
        "route table": ec2.describe_route_tables(Filters=IDENTITY)["RouteTables"],
        "security group": ec2.describe_security_groups(Filters=IDENTITY)["SecurityGroups"],
        "key pair": ec2.describe_key_pairs(Filters=IDENTITY)["KeyPairs"],
        "address": ec2.describe_addresses(Filters=IDENTITY)["Addresses"],
        "instance": [
            i for r in ec2.describe_instances(Filters=IDENTITY + [{"Name": "instance-state-name", "Values": LIVE}])["Reservations"] for i in r["Instances"]
        ],
    }
    # Anything left by any run, tagged or not (the default VPC aside).
    all_vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    all_instances = [i for r in ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": LIVE}])["Reservations"] for i in r["Instances"]]
    counts = {kind: len(items) for kind, items in found.items()}
    print(json.dumps(counts))

    if expect == "empty":
        assert not any(counts.values()), "resources left: %s" % counts
        assert not all_vpcs and not all_instances, "untagged resources were created"
        assert not ec2.describe_addresses()["Addresses"], "an address was allocated"
        assert not ec2.describe_key_pairs()["KeyPairs"], "a key pair was imported"
        return

    assert all(n == 1 for n in counts.values()), "expected one of each: %s" % counts
    assert len(all_vpcs) == 1 and len(all_instances) == 1, "more resources than the role's"
    for kind, items in found.items():
        check_tags(kind, items[0])

    instance = found["instance"][0]
    assert instance["State"]["Name"] == "running", instance["State"]
    assert instance["InstanceType"] == expected["type"], instance["InstanceType"]
    assert instance["ImageId"] == "ami-0b1e5c0f2a2d24e02", "not the newest Ubuntu 24.04 amd64 AMI"
    assert instance["SubnetId"] == found["subnet"][0]["SubnetId"]
    metadata = instance["MetadataOptions"]
    assert metadata["HttpTokens"] == "required" and metadata["HttpPutResponseHopLimit"] == 2, metadata
    protection = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="disableApiTermination")
    assert protection["DisableApiTermination"]["Value"] is True, "termination protection is off"
    assert instance["KeyName"] == NAME
    root = [m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == instance["RootDeviceName"]][0]
    volume = ec2.describe_volumes(VolumeIds=[root["Ebs"]["VolumeId"]])["Volumes"][0]
    assert volume["Encrypted"] and volume["VolumeType"] == "gp3" and volume["Size"] == int(expected["size"]), volume
    check_tags("root volume", volume)

    address = found["address"][0]
    assert address.get("InstanceId") == instance["InstanceId"], "the Elastic IP is not associated"

    group = found["security group"][0]
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [group["GroupId"]]
    rules = set()
    for permission in group["IpPermissions"]:
        for item in permission.get("IpRanges", []):
            rules.add((permission["FromPort"], permission["ToPort"], item["CidrIp"]))
        for item in permission.get("Ipv6Ranges", []):
            rules.add((permission["FromPort"], permission["ToPort"], item["CidrIpv6"]))
        assert not permission.get("UserIdGroupPairs") and not permission.get("PrefixListIds"), permission
        assert not permission["FromPort"] <= 9001 <= permission["ToPort"], "a rule covers 9001: %s" % permission
    world = ("0.0.0.0/0", "::/0")
    port = int(expected["port"])
    if expected["tls"] == "none":
        wanted = {(port, port, cidr) for cidr in world}
    else:
        wanted = {(number, number, cidr) for number in (443, 80) for cidr in world}
        wanted |= {(port, port, cidr) for cidr in expected["backend"].split(",") if cidr}
    wanted.add((56789, 56789, "203.0.113.0/24"))
    wanted |= {(22, 22, cidr) for cidr in admin_cidrs}
    assert rules == wanted, "security group rules %s, wanted %s" % (sorted(rules), sorted(wanted))

    route_table = found["route table"][0]
    assert any(r.get("GatewayId") == found["igw"][0]["InternetGatewayId"] and r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in route_table["Routes"]), (
        route_table["Routes"]
    )
    assert [a["SubnetId"] for a in route_table["Associations"] if a.get("SubnetId")] == [found["subnet"][0]["SubnetId"]]


if __name__ == "__main__":
    main()
