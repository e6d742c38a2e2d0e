import type { Stage } from '../../../electron/contract/registry';

const LABEL: Record<Stage, string> = { none: 'none', staging: 'staging', production: 'production', archived: 'archived' };

export function StageBadge({ stage }: { stage: Stage | null | undefined }) {
  if (!stage) return <span className="muted">—</span>;
  return <span className={`badge stage-${stage}`}>{LABEL[stage]}</span>;
}
