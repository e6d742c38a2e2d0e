/** What a tab or section shows until the service calls it needs exist in this build. No fake data. */
export function UnavailableState({ title, needs, detail, later = false }: { title: string; needs: string; detail?: string; later?: boolean }) {
  return (
    <div className="empty unavailable" role="status" data-testid="unavailable">
      <div className="empty-title">{later ? `${title} is coming in a later release` : `${title} is not available yet`}</div>
      <p>{detail ?? `This build of Hallmark has no ${needs} service calls. The view appears here as soon as they exist.`}</p>
      {later ? null : <p className="muted">Needs: <code>{needs}</code></p>}
    </div>
  );
}
