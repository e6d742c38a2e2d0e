import { useEffect, useRef, useState, type ReactNode } from 'react';
import { modKey } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { fmtInt, q } from '../lib/format';
import { useDebounced } from '../lib/useDebounced';
import { useApp } from '../store/appStore';
import { useModels } from '../store/modelsStore';
import { FilterChips } from './FilterChips';
import { ModelsTable, type ModelsTableHandle } from './ModelsTable';
import { useModelPages } from './useModelPages';
import { usePendingImports } from './PendingImports';

export const FILTER_INPUT_ID = 'models-filter';

/** The Models list: search, filter chips, the virtualized table, empty and error states. */
export function ModelsView() {
  const { text, framework, modelType, tag, stage, scanVerdict, signature, sort, dir, setText, clearFilters } = useModels();
  const gen = useApp((s) => s.registryGen);
  const requestImport = useApp((s) => s.requestImport);
  const [draft, setDraft] = useState(text);
  const debounced = useDebounced(draft, 200);
  const tableRef = useRef<ModelsTableHandle>(null);

  useEffect(() => {
    if (debounced !== useModels.getState().text) setText(debounced);
  }, [debounced, setText]);
  // Cleared elsewhere (Clear filters, a tag link), even while a keystroke is still debouncing.
  const resets = useModels((s) => s.resets);
  useEffect(() => {
    if (resets) setDraft(useModels.getState().text);
  }, [resets]);

  const query = { query: text.trim() || undefined, framework, modelType, tag, stage, scanVerdict, signature, sort, dir };
  const pages = useModelPages(query, gen);
  // An import under way shows as a placeholder row, so the table shows even while the registry is empty.
  const pending = usePendingImports();
  const filtered = Boolean(text.trim() || framework || modelType || tag || stage || scanVerdict || signature);
  const filterText = [text.trim() && q(text.trim()), framework && `framework ${framework}`, modelType && `type ${modelType}`, tag && `tag ${tag}`, stage && `stage ${stage}`, scanVerdict && `scan ${scanVerdict.replace('_', ' ')}`, signature && `signature ${signature}`].filter(Boolean).join(', ');

  let body: ReactNode;
  if (pages.error && pages.total === null) {
    body = <ErrorBanner title={`Could not list models${filtered ? ` matching ${filterText}` : ''}`} error={pages.error} onRetry={pages.retry} />;
  } else if (pages.total === 0 && !filtered && !pending.length) {
    body = (
      <div className="empty drop-hint" data-testid="empty-state">
        <svg width="40" height="40" viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" strokeWidth="1.5" d="M12 3v12m0 0l-4-4m4 4l4-4M4 17v3h16v-3" /></svg>
        <div className="empty-title">No models yet</div>
        <p>Drop a model file here or press {modKey()}O</p>
        <p className="muted">GGUF, ONNX, safetensors, PyTorch, Keras, scikit-learn… files, folders or .zip archives.</p>
        <button type="button" className="primary" onClick={requestImport}>Import a model…</button>
      </div>
    );
  } else if (pages.total === 0 && !pending.length) {
    body = (
      <div className="empty" data-testid="no-match">
        <div className="empty-title">No models match {filterText}</div>
        <p>Try fewer words or remove a filter.</p>
        <button type="button" onClick={() => { setDraft(''); clearFilters(); }}>Clear search and filters</button>
      </div>
    );
  } else {
    body = (
      <>
        {pages.error ? <ErrorBanner title="Some rows could not be loaded" error={pages.error} onRetry={pages.retry} /> : null}
        <ModelsTable ref={tableRef} pages={pages} queryKey={JSON.stringify(query)} label={`Models${filtered ? ` matching ${filterText}` : ''}`} />
      </>
    );
  }

  return (
    <section className="view models-view" aria-labelledby="models-title">
      <header className="view-head">
        <h1 id="models-title">Models</h1>
        <span className="count" aria-live="polite" data-testid="models-count">
          {pages.total === null ? '' : `${fmtInt(pages.total)}${filtered ? ' matching' : ''}`}
        </span>
        <div className="search-box">
          <input
            id={FILTER_INPUT_ID}
            data-list-filter
            type="search"
            placeholder={`Filter by name, tag, file… (${modKey()}F)`}
            aria-label="Filter models"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.stopPropagation();
                if (draft) setDraft('');
                else e.currentTarget.blur();
              } else if (e.key === 'ArrowDown' || e.key === 'Enter') {
                e.preventDefault();
                setText(draft);
                tableRef.current?.focus();
              }
            }}
          />
        </div>
        <span className="spacer" />
        <button type="button" className="primary" onClick={requestImport} title={`Import files, folders or zips (${modKey()}O)`}>
          Import… <kbd>{modKey()}O</kbd>
        </button>
      </header>
      <FilterChips />
      <div className="view-body">{body}</div>
    </section>
  );
}
