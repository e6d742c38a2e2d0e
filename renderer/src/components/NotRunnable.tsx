/** For views that need a runnable model (.gguf or .onnx) when the version has none. */
export function NotRunnable({ what, detail }: { what: string; detail: string }) {
  return (
    <div className="empty" role="status">
      <div className="empty-title">{what} needs a runnable model</div>
      <p>Only GGUF and ONNX models can be run, monitored and audited; this version has neither.</p>
      <p className="muted small">{detail}</p>
    </div>
  );
}
