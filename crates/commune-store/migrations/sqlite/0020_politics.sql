-- Chapters and politics: places a commune imports (regions, cities, districts, with optional
-- outlines; countries are shipped with Commune), where members live and how precisely they show
-- it, where organisations are, imported elections (past results and upcoming dates), seasons of
-- competitive altruism with their frozen results, and challenges between two chapters.
CREATE TABLE places (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    geometry TEXT,
    imported_at BIGINT NOT NULL
);

CREATE TABLE member_places (
    member_id TEXT PRIMARY KEY NOT NULL REFERENCES members(id),
    place_code TEXT NOT NULL,
    shown_as TEXT NOT NULL CHECK (shown_as IN ('hidden', 'country', 'region', 'city', 'district')),
    updated_at BIGINT NOT NULL
);
CREATE INDEX member_places_by_code ON member_places (place_code);

CREATE TABLE org_places (
    org_id TEXT PRIMARY KEY NOT NULL REFERENCES orgs(id),
    place_code TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE elections (
    id TEXT PRIMARY KEY NOT NULL,
    district TEXT NOT NULL,
    day BIGINT NOT NULL,
    office TEXT NOT NULL,
    turnout BIGINT,
    results TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    UNIQUE (district, day, office)
);

CREATE TABLE seasons (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    starts_day BIGINT NOT NULL,
    ends_day BIGINT NOT NULL,
    goal TEXT NOT NULL,
    goal_measure TEXT NOT NULL,
    goal_target BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    results TEXT,
    finished_at BIGINT
);

CREATE TABLE season_challenges (
    id TEXT PRIMARY KEY NOT NULL,
    season_id TEXT NOT NULL REFERENCES seasons(id),
    measure TEXT NOT NULL,
    chapter_a TEXT NOT NULL REFERENCES orgs(id),
    target_a BIGINT NOT NULL,
    chapter_b TEXT NOT NULL REFERENCES orgs(id),
    target_b BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX season_challenges_by_season ON season_challenges (season_id);
