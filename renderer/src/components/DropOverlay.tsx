import { useEffect, useState } from 'react';
import { isElectron } from '../api/client';
import { collectDrop, importItems } from '../import/importFiles';
import { errorText } from '../lib/format';
import { useApp, type ImportMode } from '../store/appStore';

const hasFiles = (e: DragEvent): boolean => Array.from(e.dataTransfer?.types ?? []).includes('Files');

/**
 * Dropping files or folders anywhere imports them. While dragging, an overlay says what will happen
 * and lets the user choose between copying into the vault and registering in place (remembered).
 */
export function DropOverlay() {
  const [visible, setVisible] = useState(false);
  const [hover, setHover] = useState<ImportMode | null>(null);
  const importMode = useApp((s) => s.importMode);
  const electron = isElectron();
  const effective: ImportMode = electron ? importMode : 'vault';

  useEffect(() => {
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      setVisible(true);
      const zone = (e.target as Element | null)?.closest?.('[data-drop-mode]')?.getAttribute('data-drop-mode') as ImportMode | null | undefined;
      setHover(zone ?? null);
    };
    const leave = (e: DragEvent) => {
      if (e.relatedTarget === null) {
        setVisible(false);
        setHover(null);
      }
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e) || !e.dataTransfer) return;
      e.preventDefault();
      setVisible(false);
      setHover(null);
      const state = useApp.getState();
      const zone = (e.target as Element | null)?.closest?.('[data-drop-mode]')?.getAttribute('data-drop-mode') as ImportMode | null | undefined;
      let mode: ImportMode = zone ?? state.importMode;
      if (!electron) mode = 'vault';
      else if (zone && zone !== state.importMode) state.setImportMode(zone);
      collectDrop(e.dataTransfer).then(
        (items) => importItems(items, mode),
        (err: unknown) => state.toast({ kind: 'error', title: 'Could not read the dropped items', detail: errorText(err) }),
      );
    };
    const esc = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setVisible(false);
    };
    window.addEventListener('dragenter', over);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    window.addEventListener('keydown', esc);
    return () => {
      window.removeEventListener('dragenter', over);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
      window.removeEventListener('keydown', esc);
    };
  }, [electron]);

  if (!visible) return null;
  const active = hover ?? effective;
  return (
    <div className="drop-overlay" role="dialog" aria-label="Drop to import" data-testid="drop-overlay">
      <div className="drop-panel">
        <div className="drop-title">Drop to import</div>
        <div className="drop-zones">
          <div className={`drop-zone${active === 'vault' ? ' selected' : ''}`} data-drop-mode="vault">
            <strong>Copy into the vault</strong>
            <span>Files are hashed and copied into Hallmark's content-addressed store; the originals can move or go.</span>
          </div>
          <div className={`drop-zone${active === 'in_place' ? ' selected' : ''}${electron ? '' : ' disabled'}`} data-drop-mode={electron ? 'in_place' : undefined} aria-disabled={!electron}>
            <strong>Register in place</strong>
            <span>
              {electron
                ? 'Files stay where they are; Hallmark records path, size and SHA-256 and can verify them later.'
                : 'Only in the desktop app: a browser cannot hand over file paths, so dropped files are uploaded and copied.'}
            </span>
          </div>
        </div>
        <div className="drop-foot muted">Drop on a choice, or anywhere to {active === 'in_place' ? 'register in place' : 'copy into the vault'}{electron ? ' (remembered in Settings)' : ''}.</div>
      </div>
    </div>
  );
}
