"""Clients newer than 2016 (here pymongo 4, which needs wire version 9 or more and OP_MSG) on the same data."""

import pymongo
import pytest

from .conftest import WireClient


@pytest.fixture(name='client')
def client_fixture(lab):
    client = pymongo.MongoClient(lab.uri, serverSelectionTimeoutMS=5000, connect=False)
    yield client
    client.close()


def test_only_a_handshake_with_client_metadata_hears_a_modern_wire_version(lab, wire):
    assert wire.command('admin', {'ismaster': 1})['maxWireVersion'] == 0
    other = WireClient(lab.port)
    try:
        answer = other.command('admin', {'isMaster': 1, 'helloOk': True, 'client': {'driver': {'name': 'lab', 'version': '0'}}})
        assert answer['maxWireVersion'] == 13 and answer['helloOk'] is True
        # the same connection stays modern; the legacy one stays 2.4
        assert other.command('admin', {'ismaster': 1})['maxWireVersion'] == 13
    finally:
        other.close()
    assert wire.command('admin', {'ismaster': 1})['maxWireVersion'] == 0
    assert wire.command('admin', {'hello': 1})['errmsg'] == 'no such cmd: hello'


def test_pymongo_reads_a_restored_dump(lab, client, dump_path):
    lab.restore(dump_path, 'koding')
    db = client.koding
    assert db.jGroups.find_one({'slug': 'koding'})['title'] == 'Koding'
    assert db.jLocationStates.count_documents({}) == 825
    assert db.jLocationStates.estimated_document_count() == 825
    assert len(list(db.jLocationStates.find())) == 825
    assert [size for ns, size in lab.engine.batches if ns == 'koding.jLocationStates'][-2:] == [101, 724]
    assert 'jUsers' in db.list_collection_names()
    assert db.jUsers.index_information()['username_1']['unique'] is True


def test_pymongo_writes(client):
    things = client.app.things
    assert things.create_index('x', unique=True) == 'x_1'
    things.insert_many([{'x': i} for i in range(5)])
    with pytest.raises(pymongo.errors.DuplicateKeyError) as raised:
        things.insert_one({'x': 1})
    assert raised.value.code == 11000
    assert raised.value.details['errmsg'] == 'E11000 duplicate key error index: app.things.$x_1  dup key: { : 1 }'
    assert things.update_many({}, {'$inc': {'y': 1}}).modified_count == 5
    assert things.update_one({'x': 9}, {'$set': {'y': 0}}, upsert=True).upserted_id is not None
    after = things.find_one_and_update({'x': 2}, {'$set': {'z': 1}}, return_document=pymongo.ReturnDocument.AFTER)
    assert (after['y'], after['z']) == (1, 1)
    assert things.delete_many({'x': {'$lt': 3}}).deleted_count == 3
    assert sorted(things.distinct('x')) == [3, 4, 9]
    assert list(things.aggregate([{'$group': {'_id': None, 'n': {'$sum': 1}}}])) == [{'_id': None, 'n': 3}]
    things.drop()
    assert 'things' not in client.app.list_collection_names()


def test_pymongo_and_the_legacy_protocol_share_the_data(lab, client, wire):
    client.app.shared.insert_one({'_id': 'from-pymongo'})
    _flags, _cursor, docs = wire.query('app.shared', {})
    assert docs == [{'_id': 'from-pymongo'}]
    assert client.admin.command('serverStatus')['ok'] == 1
    assert client.admin.command('ping')['ok'] == 1
    assert lab.engine.requests['OpMsg'] > 0
