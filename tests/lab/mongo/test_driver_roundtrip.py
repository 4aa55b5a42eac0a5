"""Upstream's driver (mongodb@1.4.14 on Node 0.10.48) against the lab Mongo: every operation Koding's code uses."""

import pytest

from .conftest import LabMongo


@pytest.fixture(name='roundtrip', scope='module')
def roundtrip_fixture(node):
    server = LabMongo()
    server.start()
    try:
        report = node(server.uri + '/roundtrip', 'roundtrip')
        yield report, server.engine
    finally:
        server.stop()


@pytest.fixture(name='report')
def report_fixture(roundtrip):
    return roundtrip[0]


def test_insert_w1_gives_object_ids(report):
    assert report['insert'] == {'count': 3, 'idsAreObjectIDs': True}


def test_find_in_on_a_nested_field(report):
    assert report['findInNested'] == ['alice', 'carol']


def test_find_one_with_a_projection(report):
    assert report['findOneProjection'] == {'keys': ['_id', 'profile'], 'profile': {'nickname': 'bo'}}


def test_set_keeps_the_rest_of_the_document(report):
    assert report['set'] == {'updated': 1, 'n': 10, 'nickname': 'ali', 'langs': ['en', 'de']}


def test_upsert_reports_the_new_id(report):
    assert report['upsert'] == {'updated': 1, 'updatedExisting': False, 'upsertedIsObjectID': True, 'n': 4}


def test_multi_update(report):
    assert report['multiUpdate'] == {'updated': 4, 'n': [110, 102, 103, 104]}


def test_find_and_modify_inc_new_upsert_and_remove(report):
    assert report['findAndModify'] == {'first': 1, 'second': 2, 'beforeThird': 2, 'removed': 3}


def test_count_with_and_without_a_query(report):
    assert report['count'] == {'all': 4, 'some': 3, 'missingCollection': 0}


def test_unique_ensure_index_then_index_information(report):
    assert report['uniqueIndex'] == {'name': 'email_1', 'info': {'_id_': [['_id', 1]], 'email_1': [['email', 1]]}}


def test_duplicate_insert_gives_code_11000(report):
    error = report['duplicateKey']['refused']
    assert error['code'] == 11000
    assert error['message'] == 'E11000 duplicate key error index: roundtrip.accounts.$email_1  dup key: { : "a@lab.test" }'
    assert report['duplicateKey']['count'] == 1


def test_duplicate_update_gives_code_11000(report):
    assert report['duplicateKeyUpdate']['refused'] == {
        'code': 11000,
        'message': 'E11000 duplicate key error index: roundtrip.accounts.$email_1  dup key: { : "a@lab.test" }',
    }


def test_a_250_document_cursor_goes_through_get_more(roundtrip):
    report, engine = roundtrip
    assert report['cursorBatches'] == {'count': 250, 'first': 0, 'last': 249}
    # 2.4: a first batch of 101, then getMore returns up to 4 MB
    batches = [size for ns, size in engine.batches if ns == 'roundtrip.many']
    assert batches[:2] == [101, 149]
    assert engine.requests['OpGetMore'] >= 1


def test_sort_skip_limit(report):
    assert report['sortSkipLimit'] == [239, 238, 237, 236, 235]


def test_closing_a_cursor_kills_it_on_the_server(roundtrip):
    report, engine = roundtrip
    assert report['killCursor']['first'] == 0
    assert int(report['killCursor']['cursorId']) > 2**31
    assert engine.requests['KillCursors'] >= 1
    assert int(report['killCursor']['cursorId']) not in engine.cursors


def test_remove(report):
    assert report['remove'] == {'removed': 100, 'left': 150}


def test_hint_snapshot_max_scan_and_explain(report):
    assert report['modifiers'] == {'found': [245, 246, 247, 248, 249], 'explained': 5}


def test_object_id_round_trips(report):
    assert report['objectIds'] == {'id': True, 'isObjectID': True, 'ref': True, 'inArray': True, 'byHex': True}


def test_regex_query_and_stored_regex(report):
    assert report['regex'] == {'matched': ['Hello World'], 'stored': {'isRegExp': True, 'source': 'ab+c', 'ignoreCase': True, 'multiline': True}}


def test_dates_keep_milliseconds(report):
    assert report['dates'] == {'isDate': True, 'millis': 1471910400123, 'after': ['later']}


def test_positional_update_and_projection(report):
    assert report['positional'] == {'values': ['a', 'B', 'c'], 'projected': [{'k': 3, 'v': 'c'}]}


def test_elem_match_query_and_projection(report):
    assert report['elemMatch'] == {'matched': 1, 'projectedKeys': ['_id', 'tags'], 'projected': [{'k': 2, 'v': 'B'}]}


def test_distinct_unwinds_arrays(report):
    assert report['distinct'] == ['de', 'en', 'fr']


def test_aggregate_answers_2_4_style(report):
    assert report['aggregate'] == [{'total': 2445, 'n': 10, '_id': None}]


def test_collection_names_come_from_system_namespaces(report):
    names = report['collectionNames']
    assert 'roundtrip.people' in names and 'roundtrip.many' in names and 'roundtrip.system.indexes' in names
    assert not [name for name in names if '$' in name]


def test_drop_and_drop_again(report):
    assert report['drop'] == {'dropped': True, 'secondDrop': {'code': None, 'message': 'ns not found'}, 'left': 0}


def test_drop_database(report):
    assert report['dropDatabase'] == {'dropped': True, 'left': 0}


def test_no_step_failed(report):
    assert not {step: result for step, result in report.items() if isinstance(result, dict) and set(result) == {'error'}}
