// Where a job row leads: what the job produced or worked on (the model page of an import, the version's
// Security tab for a scan, the Training list for an embed…). Titles are the services' own
// ("Verify name@2"), so a version is read from them when the result does not say.
import type { Job } from '../../../electron/contract/jobs';
import { modelHref, scansHref, type ModelTab } from './route';

const TAB: Record<string, ModelTab> = { verify: 'files', sign: 'security', export: 'export', scan: 'security', 'model-load': 'run', audit: 'audits' };
const VERB: Record<string, string> = { verify: 'Verify', sign: 'Sign', export: 'Export', scan: 'Scan', 'model-load': 'Load', audit: 'Audit' };

function refFromTitle(title: string, verb: string): { name: string; version?: number } | null {
  if (!title.startsWith(`${verb} `)) return null;
  // "Audit name@1 (link, quick)": the reference is what comes before the parenthesis.
  const ref = title.slice(verb.length + 1).replace(/\s+\([^)]*\)$/, '');
  const m = /^(.+?)@(\d+)$/.exec(ref);
  if (m) return { name: m[1]!, version: Number(m[2]) };
  return /^[A-Za-z0-9][A-Za-z0-9._ +-]*$/.test(ref) ? { name: ref } : null;
}

/** The page a job row opens, or null when there is nothing to show (yet). */
export function jobHref(job: Pick<Job, 'kind' | 'title' | 'state' | 'result'>): string | null {
  const result = job.result as { model?: unknown; version?: unknown } | null;
  if (job.kind === 'import') {
    return result && typeof result.model === 'string' && typeof result.version === 'number' ? modelHref(result.model, result.version) : null;
  }
  if (job.kind === 'embed' || job.kind === 'trainer-setup') return '#/training';
  if (job.kind === 'sync') return '#/incidents';
  const verb = VERB[job.kind];
  if (!verb) return null;
  const ref = refFromTitle(job.title, verb);
  if (!ref) return job.kind === 'scan' ? scansHref() : job.kind === 'audit' ? '#/audits' : null;
  return modelHref(ref.name, ref.version, TAB[job.kind]);
}
