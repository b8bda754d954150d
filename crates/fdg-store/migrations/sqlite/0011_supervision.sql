-- 0011: supervision figures (§ 1, nr. 3), summed incrementally by the writer in the same
-- transaction as the events they come from (fdg_domain::supervision).
-- grain 0: flows by month (day = first of the month); 1: stock changes by month (day = first of
-- the month); 2: stock changes by day. day is YYYYMMDD. municipality '' holds persons without a
-- responsible municipality; the national figures are the sum over all rows. The key starts with
-- grain and day because a report reads a range of days of every municipality.
CREATE TABLE supervision_counts (
    municipality  TEXT NOT NULL,
    grain         INTEGER NOT NULL,
    indicator     TEXT NOT NULL,
    day           INTEGER NOT NULL,
    dim           TEXT NOT NULL,
    n             INTEGER NOT NULL,
    total         INTEGER NOT NULL,
    PRIMARY KEY (grain, day, municipality, indicator, dim)
) WITHOUT ROWID;

-- The indicator definitions' version and parameters the sums were made with; a store started
-- with others recomputes the sums from the person projections.
CREATE TABLE supervision_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
