-- Tables of the Koding lab stand-in (database social, owner socialapplication).
-- Every statement is idempotent: the server runs this file as its migration on start.
CREATE TABLE IF NOT EXISTS lab_users (
    username TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    gitlab_id TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS lab_teams (
    slug TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS lab_members (
    team TEXT NOT NULL REFERENCES lab_teams (slug) ON DELETE CASCADE,
    username TEXT NOT NULL REFERENCES lab_users (username) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (team, username)
);
CREATE TABLE IF NOT EXISTS lab_sessions (
    token TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES lab_users (username) ON DELETE CASCADE,
    team TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
