// Operating modes (seed 002 "Model Modes"): inference, training, maintenance. Persisted in the settings
// table so every process sharing a home (the app, the CLI, `hallmark serve`) obeys the same mode; read on
// each check rather than cached, because another process may switch it at any time.
//
// What each mode allows (enforced in two places only: JobManager.start for jobs and imports, and the
// inference log wrapper for runs):
// - inference (the default): everything, as before modes existed. The seed's TrainingGuard would refuse
//   training here; we do not, so fine-tuning keeps working for people who never touch modes.
// - training: new jobs and imports run, but inference (model loads and runs) is refused, as the seed's
//   InferenceGuard does, so training gets the machine (and a model under training is not served).
// - maintenance: no new job of any kind (imports, scans, audits, training, checks) and no inference, so
//   the database and blob store can be backed up or repaired; jobs already running finish.
import type { Sqlite } from '../../../native/Database';
import type { ModeState, OperatingMode } from '../../contract/mode';
import { HallmarkError } from '../errors';

const KEY = 'operating.mode';
export const MODES: readonly OperatingMode[] = ['inference', 'training', 'maintenance'];
/** Job kinds that are inference (refused outside inference mode). */
export const INFERENCE_JOB_KINDS: ReadonlySet<string> = new Set(['model-load', 'batch-predict', 'compare-predictions']);

export function getMode(db: Sqlite): ModeState {
  const row = db.prepare(`SELECT value FROM settings WHERE key = ?`).get(KEY) as { value: string } | undefined;
  if (row) {
    try {
      const v = JSON.parse(row.value) as Partial<ModeState>;
      if (v.mode && MODES.includes(v.mode)) return { mode: v.mode, changed_at: v.changed_at ?? null };
    } catch {
      // a damaged value reads as the default rather than locking the app
    }
  }
  return { mode: 'inference', changed_at: null };
}

export function setMode(db: Sqlite, mode: OperatingMode): ModeState {
  if (!MODES.includes(mode)) throw new HallmarkError('invalid_input', `unknown mode ${JSON.stringify(mode)}: use inference, training or maintenance`);
  const state: ModeState = { mode, changed_at: new Date().toISOString() };
  db.prepare(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(KEY, JSON.stringify(state));
  return state;
}

const LEAVE = 'switch back with `hallmark mode inference` or from the mode menu in the status bar';

/** Throws `maintenance_mode` / `training_mode` when the current mode refuses a new job of this kind. */
export function assertJobAllowed(db: Sqlite, kind: string): void {
  const { mode } = getMode(db);
  if (mode === 'maintenance') {
    throw new HallmarkError('maintenance_mode', `Hallmark is in maintenance mode: new jobs and imports are paused (refused: ${kind}); ${LEAVE}`, { mode, kind });
  }
  if (mode === 'training' && INFERENCE_JOB_KINDS.has(kind)) {
    throw new HallmarkError('training_mode', `Hallmark is in training mode: running models is paused so training gets the machine; ${LEAVE}`, { mode, kind });
  }
}

/** Throws unless the mode allows running a model (inference mode only, as the seed's InferenceGuard). */
export function assertInferenceAllowed(db: Sqlite): void {
  const { mode } = getMode(db);
  if (mode === 'maintenance') throw new HallmarkError('maintenance_mode', `Hallmark is in maintenance mode: running models is paused; ${LEAVE}`, { mode });
  if (mode === 'training') throw new HallmarkError('training_mode', `Hallmark is in training mode: running models is paused so training gets the machine; ${LEAVE}`, { mode });
}
