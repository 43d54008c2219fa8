-- Work: projects, tasks with their history and comments, members' impact scores, worklogs,
-- reviews (one per task: the outcome is recorded once), capacities, stated preferences for
-- stable matching, and the log of randomised assignment choices with their propensities.

CREATE TABLE work_projects (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    budget_id TEXT REFERENCES budgets(id),
    hourly_rate_minor BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX work_projects_org ON work_projects (org_id, created_at);

CREATE TABLE work_tasks (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES work_projects(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    domains TEXT NOT NULL,
    effort_minutes BIGINT NOT NULL,
    points BIGINT NOT NULL,
    value_minor BIGINT NOT NULL,
    difficulty BIGINT NOT NULL,
    seats BIGINT NOT NULL,
    due_at BIGINT,
    status TEXT NOT NULL,
    creator TEXT NOT NULL,
    doer_id TEXT REFERENCES members(id),
    reviewer_id TEXT REFERENCES members(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT
);
CREATE INDEX work_tasks_project ON work_tasks (project_id, status, created_at);
CREATE INDEX work_tasks_org ON work_tasks (org_id, status);
CREATE INDEX work_tasks_doer ON work_tasks (doer_id, status);
CREATE INDEX work_tasks_reviewer ON work_tasks (reviewer_id, status);

CREATE TABLE work_events (
    id TEXT PRIMARY KEY NOT NULL,
    task_id TEXT NOT NULL REFERENCES work_tasks(id),
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX work_events_task ON work_events (task_id, at);

CREATE TABLE work_comments (
    id TEXT PRIMARY KEY NOT NULL,
    task_id TEXT NOT NULL REFERENCES work_tasks(id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX work_comments_task ON work_comments (task_id, at);

CREATE TABLE work_impact (
    task_id TEXT NOT NULL REFERENCES work_tasks(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    score BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (task_id, member_id)
);

CREATE TABLE work_logs (
    id TEXT PRIMARY KEY NOT NULL,
    task_id TEXT NOT NULL REFERENCES work_tasks(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    minutes BIGINT NOT NULL,
    day BIGINT NOT NULL,
    note TEXT NOT NULL,
    at BIGINT NOT NULL,
    paid_transfer TEXT
);
CREATE INDEX work_logs_task ON work_logs (task_id, day);
CREATE INDEX work_logs_member ON work_logs (member_id, day);
CREATE INDEX work_logs_org ON work_logs (org_id, day);

CREATE TABLE work_reviews (
    task_id TEXT PRIMARY KEY NOT NULL REFERENCES work_tasks(id),
    reviewer_id TEXT NOT NULL REFERENCES members(id),
    doer_id TEXT NOT NULL REFERENCES members(id),
    success BIGINT NOT NULL,
    quality BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    note TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX work_reviews_doer ON work_reviews (doer_id, at);

CREATE TABLE work_capacity (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    minutes_per_week BIGINT NOT NULL,
    preferences TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, member_id)
);

CREATE TABLE work_choices (
    id TEXT PRIMARY KEY NOT NULL,
    plan_id TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    task_id TEXT NOT NULL REFERENCES work_tasks(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    rule TEXT NOT NULL,
    propensity_ppm BIGINT NOT NULL,
    p_ppm BIGINT NOT NULL,
    why TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX work_choices_org ON work_choices (org_id, at);
CREATE INDEX work_choices_member ON work_choices (member_id, at);
