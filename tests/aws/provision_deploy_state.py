"""State checks of tests/aws/provision_deploy.sh, through boto3 (moto) and GitLab's API.

python provision_deploy_state.py aws present|absent MOTO_URL DEPLOYMENT ALLOCATION_ID
python provision_deploy_state.py gitlab present|absent GITLAB_URL KODING_HOST   (token in GITLAB_API_TOKEN)
"""

import json
import os
import sys
import urllib.request

IDENTITY = 'koding.gitlab'


def aws(wanted, url, name, allocation_id):
    import boto3

    ec2 = boto3.client('ec2', endpoint_url=url)
    filters = [{'Name': 'tag:ManagedBy', 'Values': [IDENTITY]}, {'Name': 'tag:KodingDeployment', 'Values': [name]}]
    instances = [i for r in ec2.describe_instances(Filters=filters)['Reservations'] for i in r['Instances'] if i['State']['Name'] != 'terminated']
    address = ec2.describe_addresses(AllocationIds=[allocation_id])['Addresses'][0]
    if address['PublicIp'] != '127.0.0.1':
        return 'the brought address is %s, not 127.0.0.1' % address['PublicIp']
    if wanted == 'present':
        if len(instances) != 1:
            return 'expected one instance of %s, found %s' % (name, [i['InstanceId'] for i in instances])
        if address.get('InstanceId') != instances[0]['InstanceId']:
            return 'the brought address is associated with %s, not %s' % (address.get('InstanceId'), instances[0]['InstanceId'])
        return None
    left = {
        'instances': [i['InstanceId'] for i in instances],
        'key pairs': [k['KeyName'] for k in ec2.describe_key_pairs(Filters=filters)['KeyPairs']],
        'security groups': [g['GroupId'] for g in ec2.describe_security_groups(Filters=filters)['SecurityGroups']],
        'subnets': [s['SubnetId'] for s in ec2.describe_subnets(Filters=filters)['Subnets']],
        'route tables': [t['RouteTableId'] for t in ec2.describe_route_tables(Filters=filters)['RouteTables']],
        'internet gateways': [g['InternetGatewayId'] for g in ec2.describe_internet_gateways(Filters=filters)['InternetGateways']],
        'VPCs': [v['VpcId'] for v in ec2.describe_vpcs(Filters=filters)['Vpcs']],
    }
    left = {kind: ids for kind, ids in left.items() if ids}
    if left:
        return 'left of %s: %s' % (name, left)
    # The brought address is the user's: kept, but no longer associated.
    if address.get('AssociationId') or address.get('InstanceId'):
        return 'the brought address is still associated: %s' % address
    return None


def gitlab(wanted, url, host):
    def get(path):
        request = urllib.request.Request(url + path, headers={'PRIVATE-TOKEN': os.environ['GITLAB_API_TOKEN']})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    hooks = [h['url'] for h in get('/api/v4/hooks') if host in h['url']]
    apps = [a['application_name'] for a in get('/api/v4/applications') if host in a.get('callback_url', '')]
    if wanted == 'present' and (len(hooks) != 1 or len(apps) != 1):
        return 'expected one system hook and one application for %s: %s, %s' % (host, hooks, apps)
    if wanted == 'absent' and (hooks or apps):
        return 'left for %s: system hooks %s, applications %s' % (host, hooks, apps)
    return None


def main():
    kind, wanted = sys.argv[1:3]
    problem = aws(wanted, *sys.argv[3:]) if kind == 'aws' else gitlab(wanted, *sys.argv[3:])
    if problem:
        sys.exit('%s %s: %s' % (kind, wanted, problem))
    print('%s %s: as expected' % (kind, wanted))


if __name__ == '__main__':
    main()
