-- 0014: failed logins are counted in the database, so every process (and, on PostgreSQL,
-- every node) refuses a locked username alike. One row per username that failed within the
-- lockout window (`since`: Unix milliseconds of the first counted attempt); older rows are
-- removed as new attempts come in, so the table holds at most one window's attempts.
CREATE TABLE login_failures (
    username  TEXT PRIMARY KEY,
    attempts  INTEGER NOT NULL,
    since     INTEGER NOT NULL
);
