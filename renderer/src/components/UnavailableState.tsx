/** What a tab or section shows until the service calls it needs exist in this build. No fake data. */
export function UnavailableState({ title, needs, detail }: { title: string; needs: string; detail?: string }) {
  return (
    <div className="empty unavailable" role="status">
      <div className="empty-title">{title} is not available yet</div>
      <p>{detail ?? `This build of Hallmark has no ${needs} service calls. The view appears here as soon as they exist.`}</p>
      <p className="muted">Needs: <code>{needs}</code></p>
    </div>
  );
}
