"""Clients newer than 2016 (pymongo 4, the Node driver 6 in mongosh): OP_MSG and the commands of wire version 13.

They say who they are: their handshake (hello or isMaster) carries `client` metadata, which mongodb@1.4.14 never
sends. Only such connections are told wire version 13; the 2016 driver keeps hearing 2.4's answers. The commands
run on the same data and the same engine as the legacy opcodes.
"""

import datetime
import time

import mongomock
from bson.int64 import Int64
from pymongo.errors import DuplicateKeyError

from .common import CommandError, Cursor, message_of, register_cursor

MODERN_WIRE_VERSION = 13
FIRST_BATCH = 101
MORE_TO_COME = 2
# OP_MSG fields that are about the session or the server selection, not the command
ENVELOPE = {'lsid', 'txnNumber', 'autocommit', 'startTransaction', 'apiVersion', 'apiStrict', 'apiDeprecationErrors', 'writeConcern', 'readConcern'}
CODE_NAMES = {11000: 'DuplicateKey', 26: 'NamespaceNotFound', 43: 'CursorNotFound', 59: 'CommandNotFound', 2: 'BadValue'}


class ModernCommands:
    """Mixed into the Engine: the OP_MSG dispatch and the commands that only modern clients send."""

    def modern_hello(self, request):
        self.modern[request._client] = True  # pylint: disable=protected-access
        return {
            'ismaster': True,
            'isWritablePrimary': True,
            'helloOk': True,
            'maxBsonObjectSize': 16 * 1024 * 1024,
            'maxMessageSizeBytes': 48000000,
            'maxWriteBatchSize': 100000,
            'localTime': datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None),
            'connectionId': self.connection_ids.get(request._client, 0),  # pylint: disable=protected-access
            'minWireVersion': 0,
            'maxWireVersion': MODERN_WIRE_VERSION,
            'readOnly': False,
        }

    def op_msg(self, request):
        spec = {key: value for key, value in request.doc.items() if not key.startswith('$') and key not in ENVELOPE}
        db = request.doc['$db']
        name = request.command_name
        handler = getattr(self, 'msg_' + name.lower(), None) or getattr(self, 'cmd_' + name.lower(), None)
        if handler is None:
            answer = error_answer("no such command: '%s'" % name, 59)
        else:
            try:
                answer = handler(db, spec, request)
                answer.setdefault('ok', 1)
            except DuplicateKeyError as error:
                answer = error_answer(message_of(error), 11000)
            except CommandError as error:
                answer = dict(error_answer(error.errmsg, error.code or 2), **error.extra)
        if not request.flags & MORE_TO_COME:
            request.replies(answer)

    # ------------------------------------------------------------ handshake

    def msg_hello(self, _db, _spec, request):
        return self.modern_hello(request)

    msg_ismaster = msg_hello

    # ------------------------------------------------------------ cursors

    def open_cursor(self, ns, docs, batch_size, single_batch=False):
        cursor = Cursor(ns, docs)
        first = self.take(cursor, batch_size or FIRST_BATCH)
        cursor_id = 0
        if cursor.position < len(docs) and not single_batch:
            cursor_id = register_cursor(self.cursors, cursor)
        return {'cursor': {'id': Int64(cursor_id), 'ns': ns, 'firstBatch': first}}

    def take(self, cursor, count):
        batch = cursor.docs[cursor.position : cursor.position + count] if count else cursor.docs[cursor.position :]
        cursor.position += len(batch)
        cursor.used = time.monotonic()
        self.batches.append((cursor.ns, len(batch)))
        return batch

    def msg_find(self, db, spec, _request):
        coll = spec['find']
        limit = int(spec.get('limit') or 0)
        docs = self.find(db, coll, spec.get('filter') or {}, spec.get('projection'), spec.get('sort'), skip=int(spec.get('skip') or 0), limit=abs(limit))
        return self.open_cursor('%s.%s' % (db, coll), docs, int(spec.get('batchSize') or 0), bool(spec.get('singleBatch')) or limit < 0)

    def msg_getmore(self, db, spec, _request):
        cursor_id = int(spec['getMore'])
        cursor = self.cursors.get(cursor_id)
        ns = '%s.%s' % (db, spec.get('collection'))
        if cursor is None or cursor.ns != ns:
            raise CommandError('cursor id %d not found' % cursor_id, 43)
        batch = self.take(cursor, int(spec.get('batchSize') or 0))
        if cursor.position >= len(cursor.docs):
            del self.cursors[cursor_id]
            cursor_id = 0
        return {'cursor': {'id': Int64(cursor_id), 'ns': ns, 'nextBatch': batch}}

    def msg_killcursors(self, _db, spec, _request):
        killed, unknown = [], []
        for cursor_id in spec.get('cursors') or []:
            (killed if self.cursors.pop(int(cursor_id), None) else unknown).append(cursor_id)
        return {'cursorsKilled': killed, 'cursorsNotFound': unknown, 'cursorsAlive': [], 'cursorsUnknown': []}

    def msg_aggregate(self, db, spec, _request):
        coll = spec['aggregate']
        docs = list(self.store.collection(db, coll).aggregate(spec.get('pipeline') or [])) if self.store.exists(db, coll) else []
        return self.open_cursor('%s.%s' % (db, coll), docs, int((spec.get('cursor') or {}).get('batchSize') or 0))

    def msg_listcollections(self, db, spec, _request):
        scratch = mongomock.MongoClient().db.collections
        for name in self.store.collection_names(db):
            scratch.insert_one({'name': name, 'type': 'collection', 'options': {}, 'info': {'readOnly': False}})
        docs = list(scratch.find(spec.get('filter') or {}, {'_id': 0}))
        if spec.get('nameOnly'):
            docs = [{'name': doc['name'], 'type': doc['type']} for doc in docs]
        return self.open_cursor('%s.$cmd.listCollections' % db, docs, 0)

    def msg_listindexes(self, db, spec, _request):
        coll = spec['listIndexes']
        if not self.store.exists(db, coll):
            raise CommandError('ns does not exist: %s.%s' % (db, coll), 26)
        return self.open_cursor('%s.$cmd.listIndexes.%s' % (db, coll), self.store.index_specs(db, coll), 0)

    def msg_listdatabases(self, db, spec, request):
        answer = self.cmd_listdatabases(db, spec, request)
        if spec.get('nameOnly'):
            answer['databases'] = [{'name': item['name']} for item in answer['databases']]
        return answer

    # ------------------------------------------------------------ writes

    def msg_createindexes(self, db, spec, _request):
        coll = spec['createIndexes']
        created = not self.store.exists(db, coll)
        before = len(self.store.index_specs(db, coll))
        for index in spec.get('indexes') or []:
            self.store.create_index(db, dict(index, ns='%s.%s' % (db, coll)))
        self.store.persist(db, coll)
        return {'createdCollectionAutomatically': created, 'numIndexesBefore': before or 1, 'numIndexesAfter': len(self.store.index_specs(db, coll))}

    def msg_insert(self, db, spec, _request):
        coll = spec['insert']
        try:
            inserted, errors = self.insert_docs(db, coll, spec.get('documents') or [], not spec.get('ordered', True))
        finally:
            self.store.persist(db, coll)
        return write_answer(inserted, errors)

    def msg_update(self, db, spec, _request):
        coll = spec['update']
        matched = modified = 0
        upserted, errors = [], []
        try:
            for index, statement in enumerate(spec.get('updates') or []):
                upsert, multi = bool(statement.get('upsert')), bool(statement.get('multi'))
                if upsert:
                    self.store.ensure_collection(db, coll)
                elif not self.store.exists(db, coll):
                    continue
                try:
                    result = self.apply_update(db, coll, statement.get('q') or {}, statement.get('u') or {}, upsert, multi)
                except (DuplicateKeyError, CommandError) as error:
                    errors.append((index, message_of(error), getattr(error, 'code', None) or 2))
                    if spec.get('ordered', True):
                        break
                    continue
                matched += result.matched_count
                modified += result.modified_count
                if result.upserted_id is not None:
                    upserted.append({'index': index, '_id': result.upserted_id})
        finally:
            self.store.persist(db, coll)
        answer = write_answer(matched + len(upserted), errors)
        answer['nModified'] = modified
        if upserted:
            answer['upserted'] = upserted
        return answer

    def msg_delete(self, db, spec, _request):
        coll = spec['delete']
        deleted = 0
        if self.store.exists(db, coll):
            collection = self.store.collection(db, coll)
            try:
                for statement in spec.get('deletes') or []:
                    if statement.get('limit') == 1:
                        deleted += collection.delete_one(statement.get('q') or {}).deleted_count
                    else:
                        deleted += collection.delete_many(statement.get('q') or {}).deleted_count
            finally:
                self.store.persist(db, coll)
        return {'n': deleted}

    def msg_endsessions(self, _db, _spec, _request):
        return {}

    def msg_count(self, db, spec, request):
        answer = self.cmd_count(db, spec, request)
        answer.pop('missing', None)
        answer['n'] = int(answer['n'])
        return answer


def error_answer(message, code):
    return {'ok': 0, 'errmsg': message, 'code': code, 'codeName': CODE_NAMES.get(code, 'Location%d' % code)}


def write_answer(count, errors):
    answer = {'n': count}
    if errors:
        answer['writeErrors'] = [{'index': error[0], 'code': error[2] if len(error) > 2 else 11000, 'errmsg': error[1]} for error in errors]
    return answer
