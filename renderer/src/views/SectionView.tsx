import { UnavailableState } from '../components/UnavailableState';
import { sectionLabel } from '../components/Sidebar';
import type { Section } from '../lib/route';

const NEEDS: Record<Exclude<Section, 'models' | 'settings'>, { needs: string; detail: string }> = {
  scans: { needs: 'scan (electron/contract/scan.ts)', detail: 'Static security scans of model files — newest first, filterable, with findings, severities and SARIF/JSON export — appear here once the scan service calls exist. Every run links back to its model version.' },
  audits: { needs: 'audits (electron/contract/run.ts)', detail: 'Fingerprint and link audits with verdict, match rate and p-value, exportable as JSON/HTML, appear here once the audit service calls exist.' },
  training: { needs: 'training', detail: 'Training runs with the live loss curve, step, samples/s, ETA and a before/after audit appear here once the trainer service calls exist.' },
  incidents: { needs: 'incidents', detail: 'Incidents with their sync state (pending / synced / failed with reason), working offline, appear here once the incident service calls exist.' },
  evaluate: { needs: 'evaluate', detail: 'Evaluation runs against datasets appear here once the evaluation service calls exist.' },
};

/** Sections whose services are not in this build yet: a clear state, no fake data. */
export function SectionView({ section }: { section: Exclude<Section, 'models' | 'settings'> }) {
  const n = NEEDS[section];
  return (
    <section className="view" aria-labelledby="section-title">
      <header className="view-head"><h1 id="section-title">{sectionLabel(section)}</h1></header>
      <div className="view-body padded"><UnavailableState title={sectionLabel(section)} needs={n.needs} detail={n.detail} /></div>
    </section>
  );
}
