-- Retention of finished webhook deliveries (`liftwatch db maintain`): find old ones
-- without scanning the table. dead_letters (received_at) and terminal_events (ts) have
-- their indexes already.
CREATE INDEX webhook_deliveries_finished_created ON webhook_deliveries (created_at)
    WHERE status <> 'pending';
