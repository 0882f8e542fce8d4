-- How many times a rescuer was offered the case (an unanswered offer may ring again).
ALTER TABLE dispatch_offers ADD COLUMN attempts smallint NOT NULL DEFAULT 1 CHECK (attempts >= 1);
