"""Upstream's seed (install/docker-mongo/default-db-dump.tar.bz2) restored into the lab Mongo and read by upstream's driver."""

import os
import tarfile

import bson
import pytest

from .conftest import LabMongo

# Counted in upstream's dump (dump/koding/*.bson at 1b2b621)
COUNTS = {
    'jGroups': 2,
    'jUsers': 3,
    'jAccounts': 3,
    'relationships': 15,
    'jLocationStates': 825,
    'jNames': 4,
    'jGroupRoles': 5,
    'jPermissionSets': 2,
    'jSessions': 0,
}


@pytest.fixture(name='seeded', scope='module')
def seeded_fixture(dump_path):
    server = LabMongo()
    restored = server.restore(dump_path, 'koding')
    server.start()
    yield server, restored
    server.stop()


def dump_counts(dump_path):
    """{collection: documents} read straight from the archive's .bson files."""
    counts = {}
    with tarfile.open(dump_path) as archive:
        for member in archive.getmembers():
            name = os.path.basename(member.name)
            if member.isfile() and name.endswith('.bson') and not name.startswith('system.'):
                counts[name[: -len('.bson')]] = len(bson.decode_all(archive.extractfile(member).read()))
    return counts


def test_every_collection_of_the_dump_is_restored_whole(seeded, dump_path):
    server, restored = seeded
    expected = dump_counts(dump_path)
    assert restored == expected
    assert sorted(server.store.collection_names('koding')) == sorted(expected)
    for name, count in COUNTS.items():
        assert expected[name] == count, name


def test_the_dump_indexes_are_restored(seeded):
    server, _restored = seeded
    names = {spec['name']: spec for spec in server.store.index_specs('koding', 'jUsers')}
    assert sorted(names) == ['_id_', 'email_1', 'username_1']
    assert names['username_1']['unique'] is True
    sessions = {spec['name']: spec for spec in server.store.index_specs('koding', 'jSessions')}
    assert sessions['sessionBegan']['expireAfterSeconds'] == 1209600


def test_the_driver_counts_the_seed(seeded, node):
    server, _restored = seeded
    report = node(server.uri + '/koding', 'dump', '["%s"]' % '","'.join(COUNTS))
    assert report['counts'] == COUNTS


def test_the_driver_finds_the_koding_group(seeded, node):
    server, _restored = seeded
    report = node(server.uri + '/koding', 'dump', '[]')
    assert report['kodingGroup'] == {'slug': 'koding', 'title': 'Koding', 'idIsObjectID': True}
    assert report['indexes'] == [{'name': '_id_', 'unique': False}, {'name': 'username_1', 'unique': True}, {'name': 'email_1', 'unique': True}]


def test_the_seed_unique_indexes_refuse_a_taken_username(seeded, node):
    server, _restored = seeded
    report = node(server.uri + '/koding', 'dump', '[]')
    assert report['uniqueUsername']['refused']['code'] == 11000
    assert report['uniqueUsername']['refused']['message'].startswith('E11000 duplicate key error index: koding.jUsers.$username_1  dup key: { : "')


def test_restoring_again_adds_nothing(dump_path):
    server = LabMongo()
    first = server.restore(dump_path, 'koding')
    again = server.restore(dump_path, 'koding')
    assert sum(first.values()) > 800
    assert set(again.values()) == {0}
    dropped = server.restore(dump_path, 'koding', drop=True)
    assert dropped == first
