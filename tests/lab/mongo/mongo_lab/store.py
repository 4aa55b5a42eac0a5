"""The lab Mongo's data: mongomock databases, the index specs as the server keeps them, the files in --dbpath.

The files in --dbpath have mongodump's layout (<db>/<collection>.bson and <collection>.metadata.json with the
index specs), so a data directory is also a dump that `--restore` (and mongorestore) can read. Every write
rewrites the files of the collection it touched before the client hears back (write-through).
"""

import os
import shutil
import tarfile
import tempfile

import bson
import mongomock
from bson import json_util
from bson.codec_options import CodecOptions

# Documents as a 2.4 server keeps them: field order preserved, datetimes naive UTC.
CODEC = CodecOptions(document_class=dict, tz_aware=False)
ID_INDEX_NAME = '_id_'


def index_name(key):
    """The default index name, as the driver and the server build it: field_direction joined by '_'."""
    return '_'.join('%s_%s' % (field, direction) for field, direction in key.items())


class Store:
    """Databases by name; each collection has its documents (in mongomock) and its index specs (here)."""

    def __init__(self, dbpath=None):
        self.dbpath = dbpath
        self.client = mongomock.MongoClient()
        # {(db, collection): [index spec, ...]} in creation order, the _id index first
        self.indexes = {}
        # {(db, collection): options of `create`}
        self.options = {}
        if dbpath:
            os.makedirs(dbpath, exist_ok=True)
            for db_name in sorted(os.listdir(dbpath)):
                directory = os.path.join(dbpath, db_name)
                if os.path.isdir(directory):
                    self.load_directory(directory, db_name, persist=False)

    # ------------------------------------------------------------ names

    def database_names(self):
        return sorted({db for db, _coll in self.indexes})

    def collection_names(self, db):
        return sorted(coll for name, coll in self.indexes if name == db)

    def exists(self, db, coll):
        return (db, coll) in self.indexes

    def collection(self, db, coll):
        return self.client[db][coll]

    # ------------------------------------------------------------ collections and indexes

    def ensure_collection(self, db, coll, options=None):
        """Create the collection (and its _id index) if it does not exist; True if it was created."""
        if (db, coll) in self.indexes:
            return False
        if not coll or '$' in coll or '\0' in coll or '/' in coll or coll.startswith('system.'):
            raise ValueError('invalid ns: %s.%s' % (db, coll))
        self.indexes[(db, coll)] = [{'v': 1, 'key': {'_id': 1}, 'ns': '%s.%s' % (db, coll), 'name': ID_INDEX_NAME}]
        self.options[(db, coll)] = dict(options or {})
        self.client[db].create_collection(coll)
        return True

    def index_specs(self, db, coll=None):
        if coll is not None:
            return list(self.indexes.get((db, coll), []))
        return [spec for (name, _coll), specs in sorted(self.indexes.items()) for spec in specs if name == db]

    def create_index(self, db, spec):
        """Create an index from a system.indexes document ({key, ns, name, unique, ...}); False if it existed."""
        ns = spec.get('ns', '')
        if not ns.startswith(db + '.') or not isinstance(spec.get('key'), dict) or not spec['key']:
            raise ValueError('bad index spec: %r' % (spec,))
        coll = ns[len(db) + 1 :]
        spec = dict(spec)
        spec.setdefault('name', index_name(spec['key']))
        spec.setdefault('v', 1)
        created_collection = self.ensure_collection(db, coll)
        specs = self.indexes[(db, coll)]
        if any(existing['name'] == spec['name'] or existing['key'] == spec['key'] for existing in specs):
            return False
        self._apply_index(db, coll, spec, undo_collection=created_collection)
        specs.append(spec)
        return True

    def _apply_index(self, db, coll, spec, undo_collection=False):
        keys = list(spec['key'].items())
        # mongomock checks uniqueness; the other kinds (2d, text, hashed, TTL) are only recorded.
        if spec.get('unique') and all(direction in (1, -1, 1.0, -1.0) for _field, direction in keys):
            try:
                self.collection(db, coll).create_index(
                    [(field, int(direction)) for field, direction in keys], unique=True, sparse=bool(spec.get('sparse')), name=spec['name']
                )
            except Exception:
                if undo_collection:
                    self.drop_collection(db, coll)
                raise

    def drop_index(self, db, coll, name):
        specs = self.indexes.get((db, coll), [])
        for spec in specs:
            if spec['name'] == name and name != ID_INDEX_NAME:
                specs.remove(spec)
                if spec.get('unique'):
                    try:
                        self.collection(db, coll).drop_index(name)
                    except Exception:  # pylint: disable=broad-except
                        pass
                return True
        return False

    def drop_collection(self, db, coll):
        if (db, coll) not in self.indexes:
            return None
        count = len(self.indexes.pop((db, coll)))
        self.options.pop((db, coll), None)
        self.client[db].drop_collection(coll)
        if self.dbpath:
            for suffix in ('.bson', '.metadata.json'):
                path = os.path.join(self.dbpath, db, coll + suffix)
                if os.path.exists(path):
                    os.unlink(path)
        return count

    def drop_database(self, db):
        for coll in self.collection_names(db):
            self.drop_collection(db, coll)
        self.client.drop_database(db)
        if self.dbpath and os.path.isdir(os.path.join(self.dbpath, db)):
            shutil.rmtree(os.path.join(self.dbpath, db))

    def rename_collection(self, db, source, target_db, target, drop_target=False):
        if self.exists(target_db, target):
            if not drop_target:
                raise ValueError('target namespace exists')
            self.drop_collection(target_db, target)
        docs = list(self.collection(db, source).find({}))
        specs = self.indexes[(db, source)]
        self.drop_collection(db, source)
        self.ensure_collection(target_db, target)
        for spec in specs[1:]:
            self.create_index(target_db, dict(spec, ns='%s.%s' % (target_db, target)))
        if docs:
            self.collection(target_db, target).insert_many(docs)
        self.persist(target_db, target)

    # ------------------------------------------------------------ files

    def persist(self, db, coll):
        """Write the collection's documents and index specs to --dbpath (atomically, file by file)."""
        if not self.dbpath or (db, coll) not in self.indexes:
            return
        directory = os.path.join(self.dbpath, db)
        os.makedirs(directory, exist_ok=True)
        data = b''.join(bson.encode(doc, codec_options=CODEC) for doc in self.collection(db, coll).find({}))
        metadata = {'options': self.options.get((db, coll), {}), 'indexes': self.indexes[(db, coll)]}
        self._write(os.path.join(directory, coll + '.bson'), data)
        self._write(os.path.join(directory, coll + '.metadata.json'), json_util.dumps(metadata).encode())

    @staticmethod
    def _write(path, data):
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.tmp-')
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)

    def load_directory(self, directory, db, persist=True, drop=False):
        """Load a dump directory (<collection>.bson with optional .metadata.json) into db, as mongorestore does:
        documents whose _id is already there are skipped. Returns {collection: documents inserted}."""
        loaded = {}
        for entry in sorted(os.listdir(directory)):
            if not entry.endswith('.bson') or entry.startswith('system.'):
                continue
            coll = entry[: -len('.bson')]
            metadata = {}
            metadata_path = os.path.join(directory, coll + '.metadata.json')
            if os.path.exists(metadata_path):
                with open(metadata_path, encoding='utf-8') as handle:
                    metadata = json_util.loads(handle.read())
            if drop:
                self.drop_collection(db, coll)
            self.ensure_collection(db, coll, metadata.get('options'))
            for spec in metadata.get('indexes', []):
                if spec.get('name') != ID_INDEX_NAME:
                    self.create_index(db, dict(spec, ns='%s.%s' % (db, coll)))
            with open(os.path.join(directory, entry), 'rb') as handle:
                docs = bson.decode_all(handle.read(), CODEC)
            collection = self.collection(db, coll)
            inserted = 0
            for doc in docs:
                if '_id' in doc and collection.find_one({'_id': doc['_id']}) is not None:
                    continue
                collection.insert_one(doc)
                inserted += 1
            loaded[coll] = inserted
            if persist:
                self.persist(db, coll)
        return loaded

    def restore(self, path, db, drop=False):
        """Restore a dump (a directory, or a .tar/.tar.gz/.tar.bz2 of one) into db: the directory holding the
        .bson files is the first one found (upstream's archive has dump/koding/*.bson)."""
        if os.path.isdir(path):
            return self.load_directory(find_dump_directory(path), db, drop=drop)
        with tempfile.TemporaryDirectory(prefix='lab-mongo-restore-') as scratch:
            with tarfile.open(path) as archive:
                # the 'data' filter where this Python has it (3.11.4 and later, and backports)
                archive.extractall(scratch, **({'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}))
            return self.load_directory(find_dump_directory(scratch), db, drop=drop)


def find_dump_directory(root):
    for directory, _dirs, files in sorted(os.walk(root)):
        if any(name.endswith('.bson') for name in files):
            return directory
    raise ValueError('no .bson files under %s' % root)
