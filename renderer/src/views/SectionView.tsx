import { UnavailableState } from '../components/UnavailableState';
import { sectionLabel } from '../components/Sidebar';
import type { Section } from '../lib/route';

const NEEDS: Record<Exclude<Section, 'models' | 'settings' | 'scans' | 'audits' | 'incidents' | 'training'>, { needs: string; detail: string; later?: boolean }> = {
  evaluate: { later: true, needs: 'evaluate', detail: 'Evaluation runs of a version against datasets will be listed here with their metrics. Until then, record metrics on a version in its Overview tab and compare them in Compare.' },
};

/** Sections of later releases: a clear state saying what comes and what to do meanwhile, no fake data. */
export function SectionView({ section }: { section: Exclude<Section, 'models' | 'settings' | 'scans' | 'audits' | 'incidents' | 'training'> }) {
  const n = NEEDS[section];
  return (
    <section className="view" aria-labelledby="section-title">
      <header className="view-head"><h1 id="section-title">{sectionLabel(section)}</h1></header>
      <div className="view-body padded"><UnavailableState title={sectionLabel(section)} needs={n.needs} detail={n.detail} later={n.later} /></div>
    </section>
  );
}
