"""mongorestore for the lab's backend image, with the command line upstream's ./run uses
(config/generateRunFile.coffee, restoredefaultmongodump: `mongorestore --host HOST --db DB dump/koding`).

As MongoDB's own mongorestore does without --drop: every *.bson file of the directory is inserted into the collection
of its name, documents whose _id is already there are skipped and counted, and the indexes of *.metadata.json are
created. Exits 1 when the server cannot be reached or refuses anything else.
"""

import argparse
import json
import os
import sys

import bson
import pymongo
from pymongo.errors import BulkWriteError, PyMongoError


def restore(client, database, directory):
    total = skipped = 0
    for name in sorted(os.listdir(directory)):
        if not name.endswith('.bson') or name.startswith('system.'):
            continue
        collection = database[name[: -len('.bson')]]
        with open(os.path.join(directory, name), 'rb') as handle:
            documents = bson.decode_all(handle.read())
        if documents:
            try:
                total += len(collection.insert_many(documents, ordered=False).inserted_ids)
            except BulkWriteError as error:
                duplicates = [item for item in error.details.get('writeErrors', []) if item.get('code') == 11000]
                if len(duplicates) != len(error.details.get('writeErrors', [])):
                    raise
                total += error.details.get('nInserted', 0)
                skipped += len(duplicates)
        metadata = os.path.join(directory, name[: -len('.bson')] + '.metadata.json')
        if os.path.exists(metadata):
            with open(metadata, encoding='utf-8') as handle:
                indexes = json.load(handle).get('indexes', [])
            for index in indexes:
                if index.get('name') == '_id_':
                    continue
                options = {key: value for key, value in index.items() if key not in ('key', 'ns', 'v')}
                collection.create_index(list(index['key'].items()), **options)
        print('mongorestore: restored %s.%s' % (database.name, collection.name))
    print('mongorestore: %d documents restored, %d already there' % (total, skipped))


def main():
    parser = argparse.ArgumentParser(prog='mongorestore')
    parser.add_argument('--host', default='127.0.0.1:27017')
    parser.add_argument('--db', required=True)
    parser.add_argument('directory')
    args = parser.parse_args()
    host, _sep, port = args.host.partition(':')
    try:
        client = pymongo.MongoClient(host, int(port or 27017), serverSelectionTimeoutMS=30000)
        restore(client, client[args.db], args.directory)
    except (PyMongoError, OSError, ValueError) as error:
        sys.exit('mongorestore: %s' % error)


if __name__ == '__main__':
    main()
