// Monitoring over time: what a prediction answered, so its distribution can be compared hour by hour
// with the baseline. `output_label` is a classifier's class, `output_value` a regressor's number; a
// generation has no row here (tokens/s is compared instead). A side table rather than new columns on
// `predictions`: released tables keep their exact schema (test/services/migrations.test.ts).
import type { Migration } from '../../../native/Database';

export const monitoringMigrations: Migration[] = [{ version: 81, name: 'prediction outputs', sql: `
CREATE TABLE prediction_outputs (
  prediction_id INTEGER PRIMARY KEY REFERENCES predictions(id) ON DELETE CASCADE,
  output_label TEXT,
  output_value REAL
);
CREATE INDEX predictions_model_time ON predictions(model_key, created_at);
` }];
