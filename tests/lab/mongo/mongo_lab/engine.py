"""What the lab Mongo answers: MongoDB 2.4's legacy wire protocol, over the Store (see README.md for the sources)."""

import collections
import datetime
import itertools
import os
import struct
import time
import traceback
import weakref

import bson
import mockupdb
import mongomock
from bson.objectid import ObjectId
from mongomock.filtering import filter_applies
from pymongo.errors import DuplicateKeyError

from .common import CommandError, Cursor, get_path, message_of, register_cursor, split_ns
from .modern import ModernCommands
from .store import ID_INDEX_NAME, index_name

VERSION = '2.4.14'
MAX_BSON_SIZE = 16 * 1024 * 1024
MAX_MESSAGE_SIZE = 48000000
FIRST_BATCH_DOCS = 101
FIRST_BATCH_BYTES = 1024 * 1024
MORE_BATCH_BYTES = 4 * 1024 * 1024

QUERY_FAILURE = mockupdb.REPLY_FLAGS['QueryFailure']
CURSOR_NOT_FOUND = mockupdb.REPLY_FLAGS['CursorNotFound']
CONTINUE_ON_ERROR = mockupdb.INSERT_FLAGS['ContinueOnError']
UPSERT = mockupdb.UPDATE_FLAGS['Upsert']
MULTI_UPDATE = mockupdb.UPDATE_FLAGS['MultiUpdate']
SINGLE_REMOVE = mockupdb.DELETE_FLAGS['SingleRemove']

# Query modifiers of the legacy protocol ({$query: ..., $orderby: ...}); all but $orderby and $explain are accepted
# and have no effect here.
MODIFIERS = {
    '$orderby',
    '$explain',
    '$hint',
    '$snapshot',
    '$maxScan',
    '$min',
    '$max',
    '$comment',
    '$returnKey',
    '$showDiskLoc',
    '$maxTimeMS',
    '$readPreference',
}


class KillCursors(mockupdb.OpKillCursors):
    """OP_KILL_CURSORS with its cursor ids read as the int64s they are (mockupdb 1.8.1 reads int32s)."""

    @classmethod
    def unpack(cls, msg, client, server, _request_id):
        (count,) = struct.unpack('<i', msg[4:8])
        ids = list(struct.unpack('<%dq' % count, msg[8 : 8 + 8 * count]))
        return cls(_client=client, cursor_ids=ids, _server=server)


mockupdb.OPCODES[mockupdb.OP_KILL_CURSORS] = KillCursors


def shell_value(value):
    """A key value the way 2.4 prints it in E11000 messages."""
    if isinstance(value, str):
        return '"%s"' % value
    if isinstance(value, ObjectId):
        return "ObjectId('%s')" % value
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def unwrap_query(spec):
    """(filter, modifiers) of an OP_QUERY document: wrapped in $query (or query), or the filter itself."""
    for wrapper in ('$query', 'query'):
        if isinstance(spec.get(wrapper), dict):
            # 2.4 takes `orderby` as well as `$orderby`; mongodb@1.4.14 sends the former (cursor.js:600)
            modifiers = {'$orderby' if key == 'orderby' else key: value for key, value in spec.items() if key != wrapper}
            return spec[wrapper], modifiers
    if spec and all(key in MODIFIERS for key in spec):
        return {}, dict(spec)
    return spec, {}


def project_top_level(doc, projection):
    """A projection of top-level fields only (enough for the made-up system collections)."""
    if not projection:
        return doc
    included = [key for key, value in projection.items() if value and key != '_id']
    if included:
        return {key: value for key, value in doc.items() if key in included}
    return {key: value for key, value in doc.items() if key not in projection}


class Engine(ModernCommands):
    """Answers one request at a time (mockupdb runs the handler under its server lock)."""

    def __init__(self, store, verbose=False):
        self.store = store
        self.verbose = verbose
        self.cursors = {}
        self.last_errors = weakref.WeakKeyDictionary()
        self.connection_ids = weakref.WeakKeyDictionary()
        self.next_connection_id = itertools.count(1)
        self.started = time.time()
        # what was asked and answered, for tests: requests by opcode, sizes of the query/getMore batches sent
        self.requests = collections.Counter()
        self.batches = collections.deque(maxlen=1000)
        # connections whose handshake carried client metadata (drivers newer than 2016): answered as wire version 13
        self.modern = weakref.WeakKeyDictionary()

    # ------------------------------------------------------------ dispatch

    def handle(self, request):
        client = request._client  # pylint: disable=protected-access
        self.requests[type(request).__name__] += 1
        if client not in self.connection_ids:
            self.connection_ids[client] = next(self.next_connection_id)
        is_gle = isinstance(request, mockupdb.Command) and request.command_name.lower() in ('getlasterror', 'getpreverror')
        if not is_gle:
            # 2.4 resets the last error at the start of every request but getLastError itself.
            self.last_errors[client] = {'n': 0, 'err': None}
        try:
            if isinstance(request, mockupdb.OpMsg):
                self.op_msg(request)
            elif isinstance(request, mockupdb.Command):
                self.command(request)
            elif isinstance(request, mockupdb.OpQuery):
                self.query(request)
            elif isinstance(request, mockupdb.OpGetMore):
                self.get_more(request)
            elif isinstance(request, mockupdb.OpKillCursors):
                for cursor_id in request.cursor_ids:
                    self.cursors.pop(cursor_id, None)
            elif isinstance(request, mockupdb.OpInsert):
                self.write(request, self.insert)
            elif isinstance(request, mockupdb.OpUpdate):
                self.write(request, self.update)
            elif isinstance(request, mockupdb.OpDelete):
                self.write(request, self.delete)
        except Exception as error:  # pylint: disable=broad-except
            if self.verbose:
                traceback.print_exc()
            if isinstance(request, mockupdb.Command):
                request.replies(ok=0, errmsg='exception: %s' % error)
            elif isinstance(request, (mockupdb.OpQuery, mockupdb.OpGetMore)):
                request.replies(mockupdb.OpReply({'$err': str(error), 'code': 16000}, flags=QUERY_FAILURE))
        return True

    # ------------------------------------------------------------ writes (answered through getLastError)

    def write(self, request, operation):
        db, coll = split_ns(request.namespace)
        client = request._client  # pylint: disable=protected-access
        try:
            result = operation(db, coll, request)
        except DuplicateKeyError as error:
            result = {'n': 0, 'err': message_of(error), 'code': 11000}
        except CommandError as error:
            result = {'n': 0, 'err': error.errmsg, 'code': error.code}
        except Exception as error:  # pylint: disable=broad-except
            result = {'n': 0, 'err': str(error), 'code': 16000}
        finally:
            if coll != 'system.indexes':
                self.store.persist(db, coll)
        self.last_errors[client] = result

    def duplicate_error(self, db, coll, doc, ignore_id=None):
        """DuplicateKeyError with 2.4's message, naming the first unique index the document collides on."""
        collection = self.store.collection(db, coll)
        for spec in self.store.index_specs(db, coll):
            if spec['name'] != ID_INDEX_NAME and not spec.get('unique'):
                continue
            values = [get_path(doc, field) for field in spec['key']]
            if spec.get('sparse') and all(value is None for value in values):
                continue
            selector = dict(zip(spec['key'], values))
            if ignore_id is not None:
                # an update: the document is already there under its own _id
                if spec['name'] == ID_INDEX_NAME:
                    continue
                selector['_id'] = {'$ne': ignore_id}
            if collection.find_one(selector) is not None:
                message = 'E11000 duplicate key error index: %s.%s.$%s  dup key: { %s }' % (
                    db,
                    coll,
                    spec['name'],
                    ', '.join(': ' + shell_value(value) for value in values),
                )
                return DuplicateKeyError(message, 11000)
        message = 'E11000 duplicate key error index: %s.%s' % (db, coll)
        return DuplicateKeyError(message, 11000)

    def insert(self, db, coll, request):
        if coll == 'system.indexes':
            for spec in request.docs:
                try:
                    self.store.create_index(db, spec)
                except DuplicateKeyError as error:
                    raise DuplicateKeyError('E11000 duplicate key error index: %s.$%s' % (spec.get('ns'), spec.get('name')), 11000) from error
                self.store.persist(*split_ns(spec['ns']))
            return {'n': 0, 'err': None}
        _inserted, errors = self.insert_docs(db, coll, request.docs, bool(request.flags & CONTINUE_ON_ERROR))
        if errors:
            return {'n': 0, 'err': errors[-1][1], 'code': 11000}
        return {'n': 0, 'err': None}

    def insert_docs(self, db, coll, docs, keep_going):
        """Insert one by one (an _id first when missing); (documents inserted, [(index, duplicate key message)])."""
        self.store.ensure_collection(db, coll)
        collection = self.store.collection(db, coll)
        inserted, errors = 0, []
        for index, doc in enumerate(docs):
            if '_id' not in doc:
                doc = dict(itertools.chain([('_id', ObjectId())], doc.items()))
            try:
                collection.insert_one(doc)
                inserted += 1
            except DuplicateKeyError:
                errors.append((index, message_of(self.duplicate_error(db, coll, doc))))
                if not keep_going:
                    break
        return inserted, errors

    def simulate(self, db, coll, selector, document, upsert):
        """The document an update would write (for the duplicate key message)."""
        scratch = mongomock.MongoClient().db.scratch
        existing = self.store.collection(db, coll).find_one(selector)
        if existing is not None:
            scratch.insert_one(existing)
            selector = {}
        elif not upsert:
            return {}
        if document and all(key.startswith('$') for key in document):
            scratch.update_one(selector, document, upsert=True)
        else:
            scratch.replace_one(selector, document, upsert=True)
        return scratch.find_one({}) or {}

    def apply_update(self, db, coll, selector, document, upsert, multi=False):
        """mongomock's update or replacement, its duplicate key error given 2.4's message."""
        collection = self.store.collection(db, coll)
        try:
            if document and all(key.startswith('$') for key in document):
                return (collection.update_many if multi else collection.update_one)(selector, document, upsert=upsert)
            existing = collection.find_one(selector)
            if existing is not None and '_id' in document and document['_id'] != existing['_id']:
                raise CommandError('cannot change _id of a document old:%s new:%s' % (existing, document), 13596)
            return collection.replace_one(selector, document, upsert=upsert)
        except DuplicateKeyError:
            candidate = self.simulate(db, coll, selector, document, upsert)
            raise self.duplicate_error(db, coll, candidate, ignore_id=candidate.get('_id')) from None

    def update(self, db, coll, request):
        selector, document = request.docs[0], request.docs[1]
        upsert, multi = bool(request.flags & UPSERT), bool(request.flags & MULTI_UPDATE)
        operators = bool(document) and all(key.startswith('$') for key in document)
        if multi and not operators:
            raise CommandError('multi update only works with $ operators', 10158)
        if upsert:
            self.store.ensure_collection(db, coll)
        elif not self.store.exists(db, coll):
            return {'updatedExisting': False, 'n': 0, 'err': None}
        result = self.apply_update(db, coll, selector, document, upsert, multi)
        answer = {'updatedExisting': result.matched_count > 0, 'n': result.matched_count, 'err': None}
        if result.upserted_id is not None:
            answer.update(n=1, upserted=result.upserted_id)
        return answer

    def delete(self, db, coll, request):
        if not self.store.exists(db, coll):
            return {'n': 0, 'err': None}
        collection = self.store.collection(db, coll)
        if request.flags & SINGLE_REMOVE:
            result = collection.delete_one(request.docs[0])
        else:
            result = collection.delete_many(request.docs[0])
        return {'n': result.deleted_count, 'err': None}

    # ------------------------------------------------------------ queries and cursors

    def virtual(self, db, coll):
        """2.4's system.namespaces or system.indexes documents, made up on the spot; None for other collections."""
        if coll == 'system.namespaces':
            docs = []
            for name in self.store.collection_names(db):
                options = self.store.options.get((db, name)) or {}
                docs.append(dict({'name': '%s.%s' % (db, name)}, **({'options': options} if options else {})))
                docs.extend({'name': '%s.%s.$%s' % (db, name, spec['name'])} for spec in self.store.index_specs(db, name))
            if docs:
                docs.append({'name': '%s.system.indexes' % db})
            return docs
        if coll == 'system.indexes':
            return [dict(spec) for spec in self.store.index_specs(db)]
        return None

    def source(self, db, coll):
        """(collection to query, the made-up documents it stands for or None). The made-up documents are queried
        without their `key` (older pymongo refuses the dotted field names in index keys): a filter on it matches nothing."""
        docs = self.virtual(db, coll)
        if docs is None:
            return self.store.collection(db, coll), None
        scratch = mongomock.MongoClient().db.virtual
        for number, doc in enumerate(docs):
            scratch.insert_one(dict({key: value for key, value in doc.items() if key != 'key'}, _id=number))
        return scratch, docs

    def find(self, db, coll, selector, fields=None, sort=None, skip=0, limit=0):
        """Documents as a list: mongomock's find, plus the $elemMatch and positional projections it lacks."""
        fields = dict(fields or {})
        special = {}
        for key, value in list(fields.items()):
            if key.endswith('.$') or (isinstance(value, dict) and '$elemMatch' in value):
                special[key] = value
                del fields[key]
        projection = dict(fields) if fields else None
        if special:
            projection = projection or {}
            for key in special:
                projection[key[:-2] if key.endswith('.$') else key] = 1
        collection, made_up = self.source(db, coll)
        cursor = collection.find(selector, projection if made_up is None else {'_id': 1})
        if sort:
            natural = sort.get('$natural')
            order = [(key, int(direction)) for key, direction in sort.items() if key != '$natural' and isinstance(direction, (int, float))]
            if order:
                cursor = cursor.sort(order)
        else:
            natural = None
        docs = list(cursor)
        if made_up is not None:
            docs = [project_top_level(made_up[doc['_id']], projection) for doc in docs]
        if natural is not None and natural < 0:
            docs.reverse()
        if skip:
            docs = docs[skip:]
        if limit:
            docs = docs[:limit]
        for key, value in special.items():
            for doc in docs:
                self.project_element(doc, key, value, selector)
        return docs

    @staticmethod
    def project_element(doc, key, value, selector):
        """$elemMatch and positional ($) projections: the first array element that matches, or the field goes."""
        if key.endswith('.$'):
            field = key[:-2]
            conditions = {name: test for name, test in selector.items() if name == field or name.startswith(field + '.')}

            def matches(element):
                return filter_applies(conditions, {field: [element]})

        else:
            field = key

            def matches(element):
                return isinstance(element, dict) and filter_applies(value['$elemMatch'], element)

        array = doc.get(field)
        if not isinstance(array, list):
            return
        for element in array:
            if matches(element):
                doc[field] = [element]
                return
        del doc[field]

    def query(self, request):
        db, coll = split_ns(request.namespace)
        selector, modifiers = unwrap_query(request.doc)
        docs = self.find(db, coll, selector, request.fields, modifiers.get('$orderby'), skip=request.num_to_skip or 0)
        if modifiers.get('$explain'):
            docs = [{'cursor': 'BasicCursor', 'isMultiKey': False, 'n': len(docs), 'nscannedObjects': len(docs), 'nscanned': len(docs), 'indexBounds': {}}]
        cursor = Cursor(request.namespace, docs)
        self.reply_batch(request, cursor, request.num_to_return or 0, first=True)

    def get_more(self, request):
        cursor = self.cursors.get(request.cursor_id)
        if cursor is None or cursor.ns != request.namespace:
            request.replies(mockupdb.OpReply([], flags=CURSOR_NOT_FOUND))
            return
        self.reply_batch(request, cursor, request.num_to_return or 0, first=False, cursor_id=request.cursor_id)

    def reply_batch(self, request, cursor, num_to_return, first, cursor_id=0):
        """One OP_REPLY batch: numberToReturn documents (101 and 1 MB on a first batch when 0, 4 MB on later
        ones); the cursor stays open while documents remain, unless numberToReturn was negative or 1 at first."""
        wanted = abs(num_to_return) or (FIRST_BATCH_DOCS if first else None)
        byte_limit = FIRST_BATCH_BYTES if first and not num_to_return else MORE_BATCH_BYTES
        start = cursor.position
        cursor.used = time.monotonic()
        batch, size = [], 0
        while cursor.position < len(cursor.docs) and (wanted is None or len(batch) < wanted):
            doc = cursor.docs[cursor.position]
            doc_size = len(bson.encode(doc))
            if batch and size + doc_size > byte_limit:
                break
            batch.append(doc)
            size += doc_size
            cursor.position += 1
        done = cursor.position >= len(cursor.docs) or num_to_return < 0 or (first and num_to_return == 1)
        if done:
            self.cursors.pop(cursor_id, None)
            cursor_id = 0
        elif not cursor_id:
            cursor_id = register_cursor(self.cursors, cursor)
        self.batches.append((cursor.ns, len(batch)))
        request.replies(mockupdb.OpReply(batch, cursor_id=cursor_id, starting_from=start))

    # ------------------------------------------------------------ commands

    def command(self, request):
        db = request.namespace
        spec = request.doc
        name = request.command_name
        handler = getattr(self, 'cmd_' + name.lower(), None)
        if handler is None:
            request.replies({'ok': 0, 'errmsg': 'no such cmd: %s' % name, 'bad cmd': spec})
            return
        try:
            answer = handler(db, spec, request)
        except DuplicateKeyError as error:
            request.replies({'ok': 0, 'errmsg': 'exception: %s' % message_of(error), 'code': 11000})
            return
        except CommandError as error:
            answer = dict({'ok': 0, 'errmsg': error.errmsg}, **error.extra)
            if error.code is not None:
                answer['code'] = error.code
            request.replies(answer)
            return
        answer.setdefault('ok', 1)
        request.replies(answer)

    def collection_arg(self, spec):
        value = list(spec.values())[0]
        if not isinstance(value, str) or not value:
            raise CommandError('collection name must be a string')
        return value

    def cmd_ismaster(self, _db, spec, request):
        if 'client' in spec or request._client in self.modern:  # pylint: disable=protected-access
            return self.modern_hello(request)
        # 2.4 sends no wire versions; the driver reads their absence as 0 (connection/server_capabilities.js).
        return {
            'ismaster': True,
            'maxBsonObjectSize': MAX_BSON_SIZE,
            'maxMessageSizeBytes': MAX_MESSAGE_SIZE,
            'localTime': datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None),
            'minWireVersion': 0,
            'maxWireVersion': 0,
        }

    def cmd_hello(self, _db, spec, request):
        if 'client' in spec or request._client in self.modern:  # pylint: disable=protected-access
            return self.modern_hello(request)
        raise CommandError('no such cmd: hello')

    def cmd_getlasterror(self, _db, _spec, request):
        client = request._client  # pylint: disable=protected-access
        answer = dict(self.last_errors.get(client) or {'n': 0, 'err': None})
        answer['connectionId'] = self.connection_ids.get(client, 0)
        answer['ok'] = 1
        return answer

    cmd_getpreverror = cmd_getlasterror

    def cmd_ping(self, _db, _spec, _request):
        return {}

    def cmd_buildinfo(self, _db, _spec, _request):
        return {'version': VERSION, 'versionArray': [2, 4, 14, 0], 'gitVersion': 'lab', 'bits': 64, 'maxBsonObjectSize': MAX_BSON_SIZE, 'debug': False}

    def cmd_serverstatus(self, _db, _spec, _request):
        return {
            'host': 'lab-mongo',
            'version': VERSION,
            'process': 'mongod',
            'pid': os.getpid(),
            'uptime': float(int(time.time() - self.started)),
            'localTime': datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None),
            'connections': {'current': len(self.connection_ids), 'available': 800},
        }

    def cmd_whatsmyuri(self, _db, _spec, request):
        host, port = request._client.getpeername()[:2]  # pylint: disable=protected-access
        return {'you': '%s:%d' % (host, port)}

    def cmd_getlog(self, _db, spec, _request):
        if spec.get('getLog') == '*':
            return {'names': ['global', 'startupWarnings']}
        return {'totalLinesWritten': 0, 'log': []}

    def cmd_listdatabases(self, _db, _spec, _request):
        databases = [{'name': name, 'sizeOnDisk': 1.0, 'empty': False} for name in self.store.database_names()]
        return {'databases': databases, 'totalSize': float(len(databases))}

    def cmd_dropdatabase(self, db, _spec, _request):
        self.store.drop_database(db)
        self.cursors = {key: cursor for key, cursor in self.cursors.items() if split_ns(cursor.ns)[0] != db}
        return {'dropped': db}

    def cmd_create(self, db, spec, _request):
        coll = self.collection_arg(spec)
        options = {key: value for key, value in spec.items() if key != list(spec)[0]}
        if not self.store.ensure_collection(db, coll, dict({'create': coll}, **options) if options else None):
            raise CommandError('collection already exists')
        self.store.persist(db, coll)
        return {}

    def cmd_drop(self, db, spec, _request):
        coll = self.collection_arg(spec)
        count = self.store.drop_collection(db, coll)
        if count is None:
            raise CommandError('ns not found')
        return {'ns': '%s.%s' % (db, coll), 'nIndexesWas': count}

    def cmd_dropindexes(self, db, spec, _request):
        coll = self.collection_arg(spec)
        if not self.store.exists(db, coll):
            raise CommandError('ns not found')
        count = len(self.store.index_specs(db, coll))
        index = spec.get('index')
        if index == '*':
            for other in self.store.index_specs(db, coll)[1:]:
                self.store.drop_index(db, coll, other['name'])
            self.store.persist(db, coll)
            return {'nIndexesWas': count, 'msg': 'non-_id indexes dropped for collection'}
        if isinstance(index, dict):
            index = next((other['name'] for other in self.store.index_specs(db, coll) if other['key'] == index), index_name(index))
        if not self.store.drop_index(db, coll, index):
            raise CommandError('index not found')
        self.store.persist(db, coll)
        return {'nIndexesWas': count}

    cmd_deleteindexes = cmd_dropindexes

    def cmd_renamecollection(self, _db, spec, _request):
        source, target = spec.get('renameCollection'), spec.get('to')
        source_db, source_coll = split_ns(source or '')
        target_db, target_coll = split_ns(target or '')
        if not self.store.exists(source_db, source_coll):
            raise CommandError('source namespace does not exist')
        try:
            self.store.rename_collection(source_db, source_coll, target_db, target_coll, bool(spec.get('dropTarget')))
        except ValueError as error:
            raise CommandError(str(error)) from None
        return {}

    def cmd_count(self, db, spec, _request):
        coll = self.collection_arg(spec)
        if not self.store.exists(db, coll):
            return {'missing': True, 'n': 0.0}
        docs = self.find(db, coll, spec.get('query') or {}, {'_id': 1}, skip=int(spec.get('skip') or 0), limit=abs(int(spec.get('limit') or 0)))
        # 2.4 answers n as a double
        return {'n': float(len(docs))}

    def cmd_distinct(self, db, spec, _request):
        coll = self.collection_arg(spec)
        values = []
        if self.store.exists(db, coll):
            for doc in self.find(db, coll, spec.get('query') or {}):
                value = get_path(doc, spec['key'])
                for item in value if isinstance(value, list) else [value]:
                    if item is not None and item not in values:
                        values.append(item)
        return {'values': values, 'stats': {'n': len(values), 'nscanned': len(values), 'nscannedObjects': len(values), 'timems': 0, 'cursor': 'BasicCursor'}}

    def cmd_aggregate(self, db, spec, _request):
        coll = self.collection_arg(spec)
        if 'cursor' in spec:
            raise CommandError("unrecognized field 'cursor'", 16436)
        pipeline = spec.get('pipeline') or []
        result = list(self.store.collection(db, coll).aggregate(pipeline)) if self.store.exists(db, coll) else []
        return {'result': result}

    def cmd_findandmodify(self, db, spec, _request):
        coll = self.collection_arg(spec)
        selector = spec.get('query') or {}
        sort = spec.get('sort') or None
        fields = spec.get('fields') or None
        remove, update = bool(spec.get('remove')), spec.get('update')
        upsert, new = bool(spec.get('upsert')), bool(spec.get('new'))
        if remove == (update is not None):
            raise CommandError('need remove or update')
        if remove and (upsert or new):
            raise CommandError("remove and returnNew can't co-exist" if new else "remove and upsert can't co-exist")
        existing = self.find(db, coll, selector, sort=sort, limit=1) if self.store.exists(db, coll) else []
        existing = existing[0] if existing else None
        if remove:
            if existing is None:
                return {'value': None, 'lastErrorObject': {'n': 0}}
            value = self.find(db, coll, {'_id': existing['_id']}, fields)[0]
            self.store.collection(db, coll).delete_one({'_id': existing['_id']})
            self.store.persist(db, coll)
            return {'value': value, 'lastErrorObject': {'n': 1}}
        if existing is None and not upsert:
            return {'value': None, 'lastErrorObject': {'updatedExisting': False, 'n': 0}}
        if existing is not None:
            before = self.find(db, coll, {'_id': existing['_id']}, fields)[0]
            target = {'_id': existing['_id']}
        else:
            self.store.ensure_collection(db, coll)
            before, target = None, selector
        try:
            result = self.apply_update(db, coll, target, update, upsert)
        finally:
            self.store.persist(db, coll)
        if existing is not None:
            after_id, last_error = existing['_id'], {'updatedExisting': True, 'n': 1}
        else:
            after_id, last_error = result.upserted_id, {'updatedExisting': False, 'n': 1, 'upserted': result.upserted_id}
        if not new:
            return {'value': before, 'lastErrorObject': last_error}
        after = self.find(db, coll, {'_id': after_id}, fields)
        return {'value': after[0] if after else None, 'lastErrorObject': last_error}

    def cmd_collstats(self, db, spec, _request):
        coll = self.collection_arg(spec)
        if not self.store.exists(db, coll):
            raise CommandError('ns not found')
        docs = list(self.store.collection(db, coll).find({}))
        size = sum(len(bson.encode(doc)) for doc in docs)
        specs = self.store.index_specs(db, coll)
        return {'ns': '%s.%s' % (db, coll), 'count': len(docs), 'size': size, 'nindexes': len(specs), 'indexSizes': {spec['name']: 0 for spec in specs}}

    def cmd_dbstats(self, db, _spec, _request):
        names = self.store.collection_names(db)
        objects = sum(self.store.collection(db, name).count_documents({}) for name in names)
        return {'db': db, 'collections': len(names), 'objects': objects, 'indexes': len(self.store.index_specs(db))}
