-- Learning: the library (lessons and principles with revisions, suggested revisions, citations,
-- ratings), courses with exercises, attempts and their peer reviews, review cards with each
-- member's schedule and review log (FSRS-6), members' settings and fitted parameters,
-- forecasting questions and forecasts, study circles.

CREATE TABLE learn_docs (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    examples TEXT NOT NULL,
    counter_examples TEXT NOT NULL,
    domains TEXT NOT NULL,
    tags TEXT NOT NULL,
    published BIGINT NOT NULL,
    author_id TEXT NOT NULL REFERENCES members(id),
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX learn_docs_org ON learn_docs (org_id, kind, updated_at);

CREATE TABLE learn_revisions (
    id TEXT PRIMARY KEY NOT NULL,
    doc_id TEXT NOT NULL REFERENCES learn_docs(id),
    number BIGINT,
    base BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    examples TEXT NOT NULL,
    counter_examples TEXT NOT NULL,
    author_id TEXT NOT NULL REFERENCES members(id),
    note TEXT NOT NULL,
    status TEXT NOT NULL,
    proposal_id TEXT,
    decided_by TEXT,
    at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX learn_revisions_doc ON learn_revisions (doc_id, at);
CREATE UNIQUE INDEX learn_revisions_number ON learn_revisions (doc_id, number);

CREATE TABLE learn_links (
    doc_id TEXT NOT NULL REFERENCES learn_docs(id),
    target_id TEXT NOT NULL REFERENCES learn_docs(id),
    PRIMARY KEY (doc_id, target_id)
);
CREATE INDEX learn_links_target ON learn_links (target_id);

CREATE TABLE learn_citations (
    id TEXT PRIMARY KEY NOT NULL,
    doc_id TEXT NOT NULL REFERENCES learn_docs(id),
    source_kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id),
    note TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX learn_citations_doc ON learn_citations (doc_id, at);
CREATE UNIQUE INDEX learn_citations_once ON learn_citations (doc_id, source_kind, source_id);

CREATE TABLE learn_ratings (
    doc_id TEXT NOT NULL REFERENCES learn_docs(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    attribute_id TEXT NOT NULL,
    score BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (doc_id, member_id, attribute_id)
);

CREATE TABLE learn_courses (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    lessons TEXT NOT NULL,
    author_id TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX learn_courses_org ON learn_courses (org_id, created_at);

CREATE TABLE learn_exercises (
    id TEXT PRIMARY KEY NOT NULL,
    course_id TEXT NOT NULL REFERENCES learn_courses(id),
    doc_id TEXT REFERENCES learn_docs(id),
    position BIGINT NOT NULL,
    skill TEXT NOT NULL,
    prompt TEXT NOT NULL,
    spec TEXT NOT NULL,
    author_id TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX learn_exercises_course ON learn_exercises (course_id, position);

CREATE TABLE learn_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    exercise_id TEXT NOT NULL REFERENCES learn_exercises(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    skill TEXT NOT NULL,
    answer TEXT NOT NULL,
    correct BIGINT,
    at BIGINT NOT NULL,
    graded_at BIGINT
);
CREATE INDEX learn_attempts_member ON learn_attempts (member_id, skill, at);
CREATE INDEX learn_attempts_open ON learn_attempts (org_id, graded_at);

CREATE TABLE learn_attempt_reviews (
    attempt_id TEXT NOT NULL REFERENCES learn_attempts(id),
    reviewer_id TEXT NOT NULL REFERENCES members(id),
    pass BIGINT NOT NULL,
    note TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (attempt_id, reviewer_id)
);

CREATE TABLE learn_cards (
    id TEXT PRIMARY KEY NOT NULL,
    doc_id TEXT NOT NULL REFERENCES learn_docs(id),
    kind TEXT NOT NULL,
    front TEXT NOT NULL,
    back TEXT NOT NULL,
    retired BIGINT NOT NULL
);
CREATE INDEX learn_cards_doc ON learn_cards (doc_id);

CREATE TABLE learn_card_states (
    member_id TEXT NOT NULL REFERENCES members(id),
    card_id TEXT NOT NULL REFERENCES learn_cards(id),
    stability_micro BIGINT,
    difficulty_micro BIGINT,
    last_day BIGINT,
    due_day BIGINT NOT NULL,
    reps BIGINT NOT NULL,
    lapses BIGINT NOT NULL,
    PRIMARY KEY (member_id, card_id)
);
CREATE INDEX learn_card_states_due ON learn_card_states (member_id, due_day);

CREATE TABLE learn_reviews (
    id TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id),
    card_id TEXT NOT NULL REFERENCES learn_cards(id),
    rating BIGINT NOT NULL,
    day BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX learn_reviews_member ON learn_reviews (member_id, card_id, at);

CREATE TABLE learn_settings (
    member_id TEXT PRIMARY KEY NOT NULL REFERENCES members(id),
    retention_permille BIGINT NOT NULL,
    parameters TEXT,
    fitted_reviews BIGINT NOT NULL,
    fitted_at BIGINT
);

CREATE TABLE forecast_questions (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    criteria TEXT NOT NULL,
    kind TEXT NOT NULL,
    options TEXT NOT NULL,
    domain TEXT NOT NULL,
    close_at BIGINT NOT NULL,
    author_id TEXT NOT NULL REFERENCES members(id),
    status TEXT NOT NULL,
    outcome BIGINT,
    resolved_by TEXT,
    resolved_at BIGINT,
    proposal_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX forecast_questions_org ON forecast_questions (org_id, status, close_at);

CREATE TABLE forecasts (
    id TEXT PRIMARY KEY NOT NULL,
    question_id TEXT NOT NULL REFERENCES forecast_questions(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    probs TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX forecasts_question ON forecasts (question_id, member_id, at);

CREATE TABLE learn_circles (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    course_id TEXT NOT NULL REFERENCES learn_courses(id),
    schedule TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL
);
CREATE TABLE learn_circle_members (
    circle_id TEXT NOT NULL REFERENCES learn_circles(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (circle_id, member_id)
);
CREATE TABLE learn_circle_posts (
    id TEXT PRIMARY KEY NOT NULL,
    circle_id TEXT NOT NULL REFERENCES learn_circles(id),
    doc_id TEXT NOT NULL REFERENCES learn_docs(id),
    author_id TEXT NOT NULL REFERENCES members(id),
    body TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX learn_circle_posts_circle ON learn_circle_posts (circle_id, doc_id, at);

CREATE TABLE work_prerequisites (
    task_id TEXT NOT NULL REFERENCES work_tasks(id),
    skill TEXT NOT NULL,
    PRIMARY KEY (task_id, skill)
);

-- Full-text search over titles and bodies (SQLite uses an FTS5 table).
CREATE INDEX learn_docs_fts ON learn_docs USING GIN (to_tsvector('english', title || ' ' || body || ' ' || examples));
