import type { Stage, VersionSummary } from '../../../electron/contract/registry';
import { fmtBytes, fmtDate } from '../lib/format';
import { modelHref } from '../lib/route';

const COL = 78;
const LANE = 46;
const R = 9;
const PAD_X = 28;
const PAD_Y = 22;

interface Placed { v: VersionSummary; x: number; y: number; lane: number }

/**
 * Versions as a graph, oldest left: an edge from each parent to the versions made from it. A version
 * continues its parent's lane unless a sibling already did, then it opens a new lane (a branch).
 */
export function layoutLineage(versions: VersionSummary[]): { nodes: Placed[]; edges: Array<{ from: Placed; to: Placed }>; lanes: number } {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const byNumber = new Map<number, Placed>();
  const continued = new Set<number>();
  let lanes = 0;
  // A parent in another model (an embed's base) is not a node of this graph: the Overview names it.
  const localParent = (v: VersionSummary): number | null => (v.parent !== null && (!v.parentModel || v.parentModel === v.model) ? v.parent : null);
  const nodes = sorted.map((v, i) => {
    const lp = localParent(v);
    const parent = lp !== null ? byNumber.get(lp) : undefined;
    let lane: number;
    if (parent && !continued.has(parent.v.version)) {
      lane = parent.lane;
      continued.add(parent.v.version);
    } else {
      // A root, or a second child of its parent: a lane of its own.
      lane = lanes;
    }
    lanes = Math.max(lanes, lane + 1);
    const p: Placed = { v, x: PAD_X + i * COL, y: PAD_Y + lane * LANE, lane };
    byNumber.set(v.version, p);
    return p;
  });
  const edges = nodes.flatMap((to) => {
    const lp = localParent(to.v);
    const from = lp !== null ? byNumber.get(lp) : undefined;
    return from ? [{ from, to }] : [];
  });
  return { nodes, edges, lanes: Math.max(1, lanes) };
}

const STAGE_CLASS: Record<Stage, string> = { none: 'lg-none', staging: 'lg-staging', production: 'lg-production', archived: 'lg-archived' };

export function LineageGraph({ model, versions, current }: { model: string; versions: VersionSummary[]; current: number | undefined }) {
  const { nodes, edges, lanes } = layoutLineage(versions);
  const width = PAD_X * 2 + Math.max(0, nodes.length - 1) * COL;
  const height = PAD_Y * 2 + (lanes - 1) * LANE + 14;
  return (
    <div className="lineage-graph" data-testid="lineage-graph">
      <svg width={width} height={height} role="group" aria-label={`Lineage of ${model}: ${nodes.length} version${nodes.length === 1 ? '' : 's'}, oldest first`}>
        <defs>
          <marker id="lg-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0 0L8 4L0 8z" className="lg-arrow" />
          </marker>
        </defs>
        {edges.map(({ from, to }) => {
          const x1 = from.x + R;
          const x2 = to.x - R - 2;
          const d = from.y === to.y
            ? `M${x1} ${from.y}L${x2} ${to.y}`
            : `M${x1} ${from.y}C${x1 + COL / 2} ${from.y} ${x2 - COL / 2} ${to.y} ${x2} ${to.y}`;
          return <path key={`${from.v.version}-${to.v.version}`} d={d} className="lg-edge" markerEnd="url(#lg-arrow)" data-edge={`v${from.v.version}->v${to.v.version}`} />;
        })}
        {nodes.map(({ v, x, y }) => {
          const isCurrent = v.version === current;
          const label = `v${v.version}${v.stage !== 'none' ? `, ${v.stage}` : ''}${v.parent !== null ? `, made from v${v.parent}` : ', first version'}, ${fmtBytes(v.totalSize)}, ${fmtDate(v.createdAt)}`;
          return (
            <a key={v.version} href={modelHref(model, v.version)} aria-label={label} aria-current={isCurrent ? 'true' : undefined} className={`lg-node ${STAGE_CLASS[v.stage]}${isCurrent ? ' current' : ''}`}>
              <title>{label}</title>
              <circle cx={x} cy={y} r={R} />
              <text x={x} y={y + R + 14} textAnchor="middle">v{v.version}</text>
            </a>
          );
        })}
      </svg>
      <div className="lg-legend" aria-hidden="true">
        <span><i className="lg-dot lg-production" />production</span>
        <span><i className="lg-dot lg-staging" />staging</span>
        <span><i className="lg-dot lg-archived" />archived</span>
        <span><i className="lg-dot lg-none" />no stage</span>
      </div>
    </div>
  );
}
