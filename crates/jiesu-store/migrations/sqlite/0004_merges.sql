-- 一件多诉: finding the same problem among the open tickets of the last days, and the tickets
-- merged into a master.

-- Open tickets of a street, newest first: the first candidates for merging.
CREATE INDEX tickets_street_received ON tickets (street_code, received_at)
    WHERE street_code IS NOT NULL;

-- The tickets merged into a master: they follow its reply and are called back with it.
CREATE INDEX tickets_master ON tickets (json_extract(state, '$.master_id'))
    WHERE status = 'merged';
