-- A possible entrapment (疑似困人) the desk confirms becomes a rescue case with that source.
ALTER TABLE rescue_cases DROP CONSTRAINT rescue_cases_source_check;
ALTER TABLE rescue_cases ADD CONSTRAINT rescue_cases_source_check
    CHECK (source IN ('entrapment', 'alarm_button', 'hotline', 'possible_entrapment'));
