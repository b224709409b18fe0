-- Dispatch rules (派单规则), every version kept: a ticket's dispatch names the version it was
-- routed by. The table is the audit of rule changes: who, when, why; rows are never changed.
CREATE TABLE dispatch_rule_sets (
    version    INTEGER PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    note       TEXT
);

CREATE TRIGGER dispatch_rule_sets_no_update BEFORE UPDATE ON dispatch_rule_sets
BEGIN SELECT RAISE(ABORT, 'dispatch_rule_sets is append-only'); END;
CREATE TRIGGER dispatch_rule_sets_no_delete BEFORE DELETE ON dispatch_rule_sets
BEGIN SELECT RAISE(ABORT, 'dispatch_rule_sets is append-only'); END;
