-- banchi store, schema version 3: the decision loop (banchi-decisions' PostgreSQL backend).
-- What the server decided about each order, the review queue, outcomes and the webhook
-- outbox, in the lists' database so that every replica shares them. The same columns as the
-- embedded `decisions.sqlite`; times are Unix milliseconds (`bigint`).

-- One row per order id: the newest screening, its place in the review queue (`review`: NULL
-- for an order that never went to review) and the decision taken on it. `order_id` compares
-- bytewise (COLLATE "C"), as in SQLite: the review page's cursor and order do not depend on
-- the database's locale.
CREATE TABLE banchi_decisions (
    order_id        text COLLATE "C" PRIMARY KEY,
    at              bigint  NOT NULL,
    address         text    NOT NULL,
    key             text,
    score           integer NOT NULL,
    action          text    NOT NULL,
    fraud_grade     text,
    forwarder_grade text,
    reasons         text[]  NOT NULL,
    entry_ids       text[]  NOT NULL,
    lists_version   text    NOT NULL,
    name            text,
    phone           text,
    email           text,
    detail          text,
    review          text CHECK (review IN ('open', 'held', 'approved', 'confirmed_fraud')),
    decided_by      text,
    decided_at      bigint,
    decision_reason text,
    decision_memo   text,
    -- The fraud-list entry listing the order's delivery point; '' while claimed.
    listed_entry    text
);
-- The review page: one status, newest first, keyset pages — an index range scan that stops
-- after a page, however long the queue.
CREATE INDEX banchi_decisions_queue ON banchi_decisions (review, at DESC, order_id DESC)
    WHERE review IS NOT NULL;
-- Retention (prune).
CREATE INDEX banchi_decisions_at ON banchi_decisions (at);
-- Block candidates look orders up by delivery point only among those scored with `velocity`
-- (few); their other lookups start from the outcomes (few) and reach orders by id. So the
-- common insert keeps no index by point up to date.
CREATE INDEX banchi_decisions_velocity_key ON banchi_decisions (key, at)
    WHERE 'velocity' = ANY (reasons);

-- What the platform learnt of an order: once per order and outcome.
CREATE TABLE banchi_outcomes (
    order_id    text COLLATE "C" NOT NULL,
    outcome     text   NOT NULL,
    at          bigint NOT NULL,
    received_at bigint NOT NULL,
    by          text   NOT NULL,
    PRIMARY KEY (order_id, outcome)
);
CREATE INDEX banchi_outcomes_at ON banchi_outcomes (at);

-- Webhook events, one row per event and URL, until delivered or given up. A worker takes
-- due rows with FOR UPDATE SKIP LOCKED and leases them (next_at moved past the lease), so
-- the replicas' workers never deliver one row at the same time.
CREATE TABLE banchi_webhook_outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     text    NOT NULL,
    url          text    NOT NULL,
    event        text    NOT NULL,
    body         text    NOT NULL,
    created_at   bigint  NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    next_at      bigint  NOT NULL,
    delivered_at bigint,
    failed_at    bigint,
    last_status  integer,
    last_error   text,
    UNIQUE (event_id, url)
);
CREATE INDEX banchi_webhook_outbox_due ON banchi_webhook_outbox (next_at, id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX banchi_webhook_outbox_created ON banchi_webhook_outbox (created_at);
