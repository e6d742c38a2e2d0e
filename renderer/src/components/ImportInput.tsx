import { useEffect, useRef } from 'react';
import { importItems, itemsFromFileList } from '../import/importFiles';
import { useApp } from '../store/appStore';

/** The hidden file picker behind ⌘O and every Import button. */
export function ImportInput() {
  const request = useApp((s) => s.importRequest);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (request > 0) ref.current?.click();
  }, [request]);
  return (
    <input
      ref={ref}
      type="file"
      multiple
      hidden
      aria-label="Import model files"
      data-testid="import-input"
      onChange={(e) => {
        const files = e.currentTarget.files;
        if (files?.length) void importItems(itemsFromFileList(files), useApp.getState().importMode);
        e.currentTarget.value = '';
      }}
    />
  );
}
