#!/usr/bin/env bash
# Runs upstream's definition/create.sh (as koding/postgres's Dockerfile does) when build.sh put
# upstream's SQL into sql/, else the lab's setup.sql. create.sh does not stop on SQL errors, so
# its output is checked here: any ERROR other than the ones it meets on every fresh server fails
# the build.
set -euo pipefail
build_dir="$1"
if [[ -f "$build_dir/sql/definition/create.sh" ]]; then
    cd "$build_dir/sql"
    bash definition/create.sh "$build_dir/sql" >/tmp/create.log 2>&1
    cat /tmp/create.log
    if grep 'ERROR:' /tmp/create.log; then
        echo "upstream's create.sh reported SQL errors" >&2
        exit 1
    fi
else
    echo "no upstream SQL in the build context: roles and database from setup.sql only"
    su postgres -c "psql -v ON_ERROR_STOP=1 -f $build_dir/setup.sql"
fi
