import { api, bridgeToken, isElectron, modKey } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { TabularRuntimeLine } from './EvaluateView';
import { HealthCard, ModeCard } from './HealthCard';
import { RunSettingsCard } from './RunSettingsCard';
import { HubSettingsCard } from './IncidentsView';
import { fmtInt } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { TrainerSettingsCard } from './TrainingView';
import { useApp } from '../store/appStore';

const SHORTCUTS: Array<[string, string]> = [
  [`${modKey()}K`, 'Command palette: jump to a model, version or action'],
  [`${modKey()}O`, 'Import files'],
  [`${modKey()}F`, 'Filter the Models list'],
  ['↑ ↓ PgUp PgDn Home End', 'Move in lists'],
  ['Enter', 'Open the selected row'],
  ['← →', 'Switch tabs on a model page'],
  ['Esc', 'Close the palette, drawer or dialog; back from a model page'],
];

export function SettingsView() {
  const importMode = useApp((s) => s.importMode);
  const setImportMode = useApp((s) => s.setImportMode);
  const gen = useApp((s) => s.registryGen);
  const facets = useAsync(() => api.call('registry.facets', {}), 'facets', gen);
  const electron = isElectron();
  return (
    <section className="view" aria-labelledby="settings-title">
      <header className="view-head"><h1 id="settings-title">Settings</h1></header>
      <div className="view-body padded settings">
        <HealthCard />
        <ModeCard />
        <TrainerSettingsCard />
        <div className="card">
          <h2>Importing</h2>
          <fieldset className="radio-col">
            <legend>When files are dropped or picked</legend>
            <label><input type="radio" name="mode" checked={importMode === 'vault'} onChange={() => setImportMode('vault')} /> Copy into the vault <span className="muted">— files are hashed and copied into Hallmark's store</span></label>
            <label><input type="radio" name="mode" checked={importMode === 'in_place'} disabled={!electron} onChange={() => setImportMode('in_place')} /> Register in place <span className="muted">— files stay where they are; Hallmark records their hashes</span></label>
          </fieldset>
          {!electron ? <p className="hint">Browser mode always copies: a browser cannot hand file paths to Hallmark, so files are uploaded. Register in place from the desktop app or with <code>hallmark import PATH --in-place</code>.</p> : null}
        </div>
        <RunSettingsCard />
        <div className="card" aria-label="Tabular models">
          <h2>Tabular models</h2>
          <TabularRuntimeLine />
          <p className="hint">Or from a terminal: <code>hallmark trainer setup --profile tabular</code>. Its venv lives in the cache folder (<code>tabular-venv-…</code>); <code>HALLMARK_TABULAR_PYTHON</code> points Hallmark at another Python instead.</p>
        </div>
        <HubSettingsCard />
        <div className="card">
          <h2>Registry</h2>
          {facets.error ? <ErrorBanner title="Could not read the registry" error={facets.error} onRetry={facets.reload} /> : null}
          <dl className="props">
            <dt>Models</dt><dd>{facets.data ? fmtInt(facets.data.models) : '…'}</dd>
            <dt>Versions</dt><dd>{facets.data ? fmtInt(facets.data.versions) : '…'}</dd>
            <dt>Running as</dt><dd>{electron ? 'desktop app' : `browser mode via the local bridge at ${window.location.host}${bridgeToken() ? '' : ' (no token!)'}`}</dd>
            <dt>Theme</dt><dd>follows the operating system (light / dark)</dd>
          </dl>
        </div>
        <div className="card">
          <h2>Keyboard</h2>
          <table className="table compact" aria-label="Keyboard shortcuts">
            <tbody>{SHORTCUTS.map(([k, d]) => <tr key={k}><td><kbd>{k}</kbd></td><td>{d}</td></tr>)}</tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
