/**
 * The page's Content-Security-Policy, sent by both hosts of the renderer (the Electron window and the
 * browser-mode bridge): nothing from outside, no inline script, no eval. A plain string so that Electron
 * main reads it without loading the bridge's HTTP server.
 */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
