-- Open, pending, snoozed and resolved tickets per body and channel, kept by triggers. The
-- inbox's status tabs read these few rows instead of counting a body's tickets on every page
-- view (a busy ministry has tens of thousands; counting them was a fifth of a loaded server's
-- time). A ticket without a body counts under ''.
CREATE TABLE ticket_tallies (
    body_key TEXT    NOT NULL,
    channel  TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (body_key, channel, status)
) WITHOUT ROWID;

INSERT INTO ticket_tallies (body_key, channel, status, n)
SELECT COALESCE(body_key, ''), channel, status, COUNT(*) FROM tickets GROUP BY 1, 2, 3;

CREATE TRIGGER tickets_tally_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO ticket_tallies (body_key, channel, status, n)
    VALUES (COALESCE(NEW.body_key, ''), NEW.channel, NEW.status, 1)
    ON CONFLICT (body_key, channel, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tickets_tally_delete AFTER DELETE ON tickets
BEGIN
    UPDATE ticket_tallies SET n = n - 1
    WHERE body_key = COALESCE(OLD.body_key, '') AND channel = OLD.channel AND status = OLD.status;
END;

CREATE TRIGGER tickets_tally_update AFTER UPDATE OF body_key, channel, status ON tickets
WHEN OLD.body_key IS NOT NEW.body_key OR OLD.channel != NEW.channel OR OLD.status != NEW.status
BEGIN
    UPDATE ticket_tallies SET n = n - 1
    WHERE body_key = COALESCE(OLD.body_key, '') AND channel = OLD.channel AND status = OLD.status;
    INSERT INTO ticket_tallies (body_key, channel, status, n)
    VALUES (COALESCE(NEW.body_key, ''), NEW.channel, NEW.status, 1)
    ON CONFLICT (body_key, channel, status) DO UPDATE SET n = n + 1;
END;
