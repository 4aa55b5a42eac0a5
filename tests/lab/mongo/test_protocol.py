"""The lab Mongo on the wire, for what upstream's driver depends on but a round trip does not show."""

import struct

import bson

from .conftest import WireClient


def test_ismaster_answers_as_2_4_with_wire_version_0(wire):
    answer = wire.command('admin', {'ismaster': 1})
    assert answer['ismaster'] is True and answer['ok'] == 1
    assert answer['maxWireVersion'] == 0 and answer['minWireVersion'] == 0
    assert answer['maxBsonObjectSize'] == 16 * 1024 * 1024
    assert wire.command('admin', {'buildinfo': 1})['version'] == '2.4.14'


def test_commands_2_4_lacked_answer_no_such_cmd(wire):
    """So mongodb@1.4.14 falls back to system.indexes and system.namespaces (db.js, listIndexes/listCollections)."""
    for name in ('listIndexes', 'listCollections', 'createIndexes', 'insert'):
        answer = wire.command('app', {name: 'things'})
        assert answer['ok'] == 0 and answer['errmsg'] == 'no such cmd: %s' % name


def test_indexes_through_system_indexes(wire):
    spec = {'key': {'name': 1}, 'ns': 'app.things', 'name': 'name_1', 'unique': True}
    wire.send(2002, bytes(4) + b'app.system.indexes\0' + bson.encode(spec))
    assert wire.command('app', {'getlasterror': 1})['err'] is None
    _flags, _cursor, indexes = wire.query('app.system.indexes', {'ns': 'app.things'})
    assert [index['name'] for index in indexes] == ['_id_', 'name_1']
    _flags, _cursor, namespaces = wire.query('app.system.namespaces', {})
    assert {'name': 'app.things'} in namespaces and {'name': 'app.things.$name_1'} in namespaces


def test_get_last_error_is_per_connection_and_reset_by_the_next_request(lab, wire):
    wire.send(2002, bytes(4) + b'app.things\0' + bson.encode({'_id': 1}) + bson.encode({'_id': 1}))
    other = WireClient(lab.port)
    try:
        assert other.command('app', {'getlasterror': 1})['err'] is None
    finally:
        other.close()
    answer = wire.command('app', {'getLastError': 1, 'w': 1})
    assert answer['code'] == 11000 and answer['err'].startswith('E11000 duplicate key error index: app.things.$_id_  dup key: { : 1 }')
    assert wire.command('app', {'getlasterror': 1})['code'] == 11000
    wire.query('app.things', {})
    assert wire.command('app', {'getlasterror': 1})['err'] is None


def test_continue_on_error_inserts_the_rest(wire):
    wire.send(2002, struct.pack('<i', 1) + b'app.things\0' + b''.join(bson.encode({'_id': i}) for i in (1, 1, 2)))
    assert wire.command('app', {'getlasterror': 1})['code'] == 11000
    assert wire.command('app', {'count': 'things'})['n'] == 2


def test_count_of_a_missing_collection(wire):
    assert wire.command('app', {'count': 'nothing'}) == {'missing': True, 'n': 0.0, 'ok': 1}


def test_kill_cursors_reads_64_bit_ids(lab, wire):
    wire.send(2002, bytes(4) + b'app.many\0' + b''.join(bson.encode({'i': i}) for i in range(10)))
    _flags, cursor_id, docs = wire.query('app.many', {}, limit=2)
    assert len(docs) == 2 and cursor_id in lab.engine.cursors
    wire.send(2007, struct.pack('<iiq', 0, 1, cursor_id))
    wire.command('app', {'ping': 1})
    assert cursor_id not in lab.engine.cursors
    body = struct.pack('<i', 0) + b'app.many\0' + struct.pack('<iq', 0, cursor_id)
    wire.send(2005, body)
    _opcode, reply = wire.receive()
    assert struct.unpack('<i', reply[:4])[0] & 1  # CursorNotFound


def test_a_negative_number_to_return_closes_the_cursor(wire):
    wire.send(2002, bytes(4) + b'app.many\0' + b''.join(bson.encode({'i': i}) for i in range(10)))
    _flags, cursor_id, docs = wire.query('app.many', {}, limit=-3)
    assert len(docs) == 3 and cursor_id == 0


def test_a_bad_query_fails_with_query_failure(wire):
    flags, _cursor, docs = wire.query('app.things', {'a': {'$bogus': 1}})
    assert flags & 2 and '$err' in docs[0]


def test_op_msg_from_a_client_without_a_handshake_is_answered(wire):
    body = struct.pack('<I', 0) + b'\0' + bson.encode({'hello': 1, '$db': 'admin'})
    wire.send(2013, body)
    opcode, reply = wire.receive()
    assert opcode == 2013
    answer = bson.decode(reply[5:])
    assert answer['ok'] == 1 and answer['maxWireVersion'] == 13


def test_idle_cursors_time_out_after_ten_minutes(lab, wire):
    wire.send(2002, bytes(4) + b'app.many\0' + b''.join(bson.encode({'i': i}) for i in range(10)))
    _flags, idle, _docs = wire.query('app.many', {}, limit=2)
    _flags, busy, _docs = wire.query('app.many', {}, limit=2)
    lab.engine.cursors[idle].used -= 601
    _flags, newest, _docs = wire.query('app.many', {}, limit=2)
    assert idle not in lab.engine.cursors and busy in lab.engine.cursors and newest in lab.engine.cursors
