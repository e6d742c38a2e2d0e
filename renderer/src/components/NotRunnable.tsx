/** For views that need a runnable model (.gguf or .onnx) when the version has none. */
export function NotRunnable({ what, detail }: { what: string; detail: string }) {
  return (
    <div className="empty" role="status">
      <div className="empty-title">{what} does not apply to this version</div>
      <p>{detail}</p>
      <p className="muted small">Only GGUF and ONNX models can be run and monitored, and only GGUF models audited. Security, Inspect and Files work for every format.</p>
    </div>
  );
}
