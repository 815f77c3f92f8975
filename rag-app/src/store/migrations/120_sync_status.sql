-- A sync run's status says what happened: `partial` when some items failed, `interrupted` when its
-- process died (a row left `running` is believed only while the run's lease is held).
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_status_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_status_check
  CHECK (status IN ('running', 'done', 'partial', 'failed', 'interrupted'));
