// Chat template (Jinja) checks for GGUF `tokenizer.chat_template*` and tokenizer_config.json.
// Templates are rendered by llama.cpp (minja), transformers (sandboxed Jinja) and many ad-hoc
// renderers; some are not sandboxed, and sandbox escapes go through Python internals. Code inside
// {{ }} / {% %} is checked for those gadgets; literal text for instructions injected into prompts.
import { finding, severityRank, type Finding, type Severity } from './rules';

interface Pattern {
  re: RegExp;
  severity: Severity;
  why: string;
}

const CODE_PATTERNS: Pattern[] = [
  { re: /__[A-Za-z]\w*__/, severity: 'critical', why: 'accesses a Python dunder attribute (the first step of every Jinja sandbox escape)' },
  { re: /\bself\s*\.\s*_TemplateReference|_TemplateReference__context/, severity: 'critical', why: "reaches the template's runtime context (self._TemplateReference__context)" },
  { re: /\b(os|sys|subprocess|builtins|importlib|posix)\s*\.\s*\w/, severity: 'critical', why: 'references an OS or interpreter module' },
  { re: /\b(popen|system|eval|exec|compile|getattr|setattr|__import__|open)\s*\(/, severity: 'critical', why: 'calls a code-execution or file primitive' },
  { re: /\b(cycler|joiner|lipsum)\b/, severity: 'high', why: 'uses a Jinja global whose __init__.__globals__ is a classic sandbox escape gadget' },
  { re: /\|\s*attr\s*\(/, severity: 'high', why: "uses the |attr() filter, which bypasses '.' and '[]' attribute filtering" },
  { re: /\[\s*(['"])_/, severity: 'high', why: 'subscripts with an underscore-prefixed name' },
  { re: /\\x5f|\\u005f|\\137|\\x2e/i, severity: 'high', why: 'spells "_" or "." with escape sequences (obfuscated attribute names)' },
  { re: /(['"])_{1,2}\1|(['"])\w*_\2\s*~|~\s*(['"])_/, severity: 'high', why: 'builds underscore names by string concatenation' },
  { re: /\b(mro|subclasses|globals|builtins|func_globals|f_globals|gi_frame|f_back)\b/, severity: 'high', why: 'names interpreter internals' },
  { re: /\b(request|url_for|get_flashed_messages|config\.items)\b/, severity: 'medium', why: 'uses a web-framework SSTI gadget' },
  { re: /\brange\s*\(\s*\d{7,}/, severity: 'medium', why: 'loops millions of times (template denial of service)' },
];

const STATEMENT_PATTERNS: Pattern[] = [
  { re: /^\s*-?\s*(import|from\s+\S+\s+import)\b/, severity: 'high', why: 'imports another template/module from inside the chat template' },
  { re: /^\s*-?\s*(include|extends)\b/, severity: 'medium', why: 'pulls in another template by name' },
];

const TEXT_PATTERNS: Pattern[] = [
  { re: /\b(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(the\s+|your\s+)?(previous|prior|above|earlier|system|original)\s+(instructions?|prompts?|messages?|rules)/i, severity: 'medium', why: 'tells the model to drop its instructions' },
  { re: /\b(do\s+not|don't|never)\s+(tell|reveal|inform|mention|disclose)\b.{0,40}\b(user|anyone|human)\b/i, severity: 'medium', why: 'tells the model to hide something from the user' },
  { re: /\b(send|exfiltrate|upload|post|forward|leak)\b.{0,60}\b(password|api[\s_-]?key|token|credential|secret|ssh)/i, severity: 'medium', why: 'asks the model to move secrets' },
  { re: /\byou\s+are\s+now\b|\bnew\s+instructions\s*:|\bjailbreak|\bDAN\s+mode\b/i, severity: 'medium', why: 'injects a persona or replacement instructions' },
  { re: /https?:\/\/[^\s'"<>{}]+/i, severity: 'low', why: 'embeds a URL into every prompt' },
];

/** Splits a template into code ({{ }}, {% %}) and literal text; comments ({# #}) are dropped. */
export function splitTemplate(t: string): { code: Array<{ text: string; statement: boolean; at: number }>; text: Array<{ text: string; at: number }> } {
  const code: Array<{ text: string; statement: boolean; at: number }> = [];
  const text: Array<{ text: string; at: number }> = [];
  const re = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}|\{#[\s\S]*?#\}/g;
  let last = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    if (m.index > last) text.push({ text: t.slice(last, m.index), at: last });
    if (m[1] !== undefined) code.push({ text: m[1], statement: false, at: m.index });
    else if (m[2] !== undefined) code.push({ text: m[2], statement: true, at: m.index });
    last = m.index + m[0].length;
  }
  if (last < t.length) text.push({ text: t.slice(last), at: last });
  // String literals inside code are literal prompt text too.
  for (const c of code) {
    for (const s of c.text.matchAll(/(['"])((?:\\.|(?!\1).){8,})\1/g)) text.push({ text: s[2]!.replace(/\\[nrt]/g, ' '), at: c.at });
  }
  return { code, text };
}

const excerpt = (s: string, i: number): string => JSON.stringify(s.slice(Math.max(0, i - 30), i + 50).replace(/\s+/g, ' '));

/**
 * Findings for one template. `location` prefixes the character offset (e.g. `kv tokenizer.chat_template`).
 * Rules: template.injection (code), template.prompt-injection (text).
 */
export function scanTemplate(template: string, file: string, location: string): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  const { code, text } = splitTemplate(template.slice(0, 1 << 20));
  for (const c of code) {
    // One finding per code block, with every reason it matched: one gadget often trips several patterns.
    const pats = c.statement ? [...STATEMENT_PATTERNS, ...CODE_PATTERNS] : CODE_PATTERNS;
    const hits: Array<{ p: (typeof pats)[number]; index: number }> = [];
    for (const p of pats) {
      const m = p.re.exec(c.text);
      if (!m || seen.has(p.why)) continue;
      seen.add(p.why);
      hits.push({ p, index: m.index });
    }
    if (!hits.length) continue;
    const worst = hits.reduce((a, b) => (severityRank(b.p.severity) > severityRank(a.p.severity) ? b : a));
    const why = hits.map((h) => h.p.why).join('; ');
    out.push(finding(worst.p.severity, 'template.injection', file, `${location}, char ${c.at}`, `chat template ${why}: ${excerpt(c.text, Math.min(...hits.map((h) => h.index)))}`));
  }
  for (const t of text) {
    for (const p of TEXT_PATTERNS) {
      const m = p.re.exec(t.text);
      if (!m || seen.has(p.why)) continue;
      seen.add(p.why);
      out.push(finding(p.severity, 'template.prompt-injection', file, `${location}, char ${t.at}`, `chat template ${p.why}: ${excerpt(t.text, m.index)}`));
    }
  }
  return out;
}
