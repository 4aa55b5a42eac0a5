-- Koding's PostgreSQL roles, each with its own name as password (as in koding/postgres).
CREATE ROLE social_superuser LOGIN SUPERUSER PASSWORD 'social_superuser';
CREATE ROLE socialapplication LOGIN PASSWORD 'socialapplication';
CREATE ROLE kontrolapplication LOGIN PASSWORD 'kontrolapplication';
CREATE DATABASE social OWNER social_superuser;
\connect social
GRANT ALL ON SCHEMA public TO socialapplication;
-- kontrol keeps its kites and keys in the kite schema.
CREATE SCHEMA kite AUTHORIZATION kontrolapplication;
SET ROLE kontrolapplication;
CREATE TABLE kite.kite (
    id UUID PRIMARY KEY,
    username TEXT NOT NULL,
    environment TEXT NOT NULL,
    kite_name TEXT NOT NULL,
    version TEXT NOT NULL,
    region TEXT NOT NULL,
    hostname TEXT NOT NULL,
    url TEXT NOT NULL,
    key_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE kite.key (
    id TEXT PRIMARY KEY,
    public TEXT NOT NULL,
    private TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ
);
RESET ROLE;
