"""Lab Mongo entry point: python tests/lab/mongo/server.py [--host H] [--port N] [--dbpath DIR] [--restore PATH --db NAME]. See README.md."""

import os
import sys

if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from mongo_lab.front import main  # pylint: disable=import-error

    sys.exit(main())
