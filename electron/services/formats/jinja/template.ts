// Chat template (Jinja) checks for GGUF `tokenizer.chat_template*`, tokenizer_config.json and
// chat_template.jinja files. Templates are rendered by llama.cpp (minja), transformers (sandboxed Jinja),
// transformers.js and ad-hoc renderers; some are not sandboxed (CVE-2024-34359), and escapes go through
// Python internals. Each code block is lexed as Python Jinja2 lexes it (jinja/lex.ts), parsed with
// @huggingface/jinja's parser and judged on its AST (jinja/analyze.ts); literal text is checked for
// instructions injected into prompts. Every step is linear in the template's size, and what the parser
// cannot take (too deep, too long, not Jinja) is still checked token by token and reported.
import { parse, tokenize } from '@huggingface/jinja';
import { finding, severityRank, type Finding, type Severity } from '../finding';
import type { ByteSource } from '../io';
import { Analyzer, nameReason, type Node, type Reason } from './analyze';
import { splitTemplate, type Block, type PyTok } from './lex';

export { splitTemplate } from './lex';

const TEXT_PATTERNS: Array<{ re: RegExp; severity: Severity; why: string }> = [
  { re: /\b(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(the\s+|your\s+)?(previous|prior|above|earlier|system|original)\s+(instructions?|prompts?|messages?|rules)/i, severity: 'medium', why: 'tells the model to drop its instructions' },
  { re: /\b(do\s+not|don't|never)\s+(tell|reveal|inform|mention|disclose)\b(?![^.]{0,40}\b(function|tool)\s+calls?\b).{0,40}\b(user|anyone|human)\b/i, severity: 'medium', why: 'tells the model to hide something from the user' },
  { re: /\b(send|exfiltrate|upload|post|forward|leak)\b.{0,60}\b(password|api[\s_-]?key|token|credential|secret|ssh)/i, severity: 'medium', why: 'asks the model to move secrets' },
  { re: /\byou\s+are\s+now\b|\bnew\s+instructions\s*:|\bjailbreak|\bDAN\s+mode\b/i, severity: 'medium', why: 'injects a persona or replacement instructions' },
  { re: /https?:\/\/[^\s'"<>{}]+/i, severity: 'low', why: 'embeds a URL into every prompt' },
];

/** Past these a block is not handed to the (recursive) parser: real templates stay far below. */
const MAX_BLOCK_TOKENS = 1500;
const MAX_DEPTH = 48;
const MAX_NESTING = 150;
const MAX_CODE_FINDINGS = 50;

const ADVICE_CODE = 'Do not render this template outside a sandbox (llama-cpp-python < 0.2.72 and ad-hoc jinja2.Environment renderers run it as Python); use the chat template from the model\'s upstream repository instead.';
const ADVICE_PARSE = 'Compare the template with the upstream one before use: renderers disagree on what it means, and parts of it were checked token by token only.';

type HfTok = { type: string; value: string };
const OP_TYPES: Record<string, string> = {
  '(': 'OpenParen', ')': 'CloseParen', '[': 'OpenSquareBracket', ']': 'CloseSquareBracket', '{': 'OpenCurlyBracket', '}': 'CloseCurlyBracket',
  ',': 'Comma', '.': 'Dot', ':': 'Colon', '|': 'Pipe', '=': 'Equals',
  '==': 'ComparisonBinaryOperator', '!=': 'ComparisonBinaryOperator', '<': 'ComparisonBinaryOperator', '>': 'ComparisonBinaryOperator', '<=': 'ComparisonBinaryOperator', '>=': 'ComparisonBinaryOperator',
  '+': 'AdditiveBinaryOperator', '-': 'AdditiveBinaryOperator', '~': 'AdditiveBinaryOperator',
  '*': 'MultiplicativeBinaryOperator', '/': 'MultiplicativeBinaryOperator', '//': 'MultiplicativeBinaryOperator', '%': 'MultiplicativeBinaryOperator', '**': 'ExponentiationBinaryOperator',
};

function hfTokens(toks: PyTok[]): HfTok[] | null {
  const out: HfTok[] = [];
  for (const t of toks) {
    if (t.type === 'name') out.push({ type: 'Identifier', value: t.value });
    else if (t.type === 'string') out.push({ type: 'StringLiteral', value: t.value });
    else if (t.type === 'number') out.push({ type: 'NumericLiteral', value: t.value });
    else {
      const type = OP_TYPES[t.value];
      if (!type) return null;
      out.push({ type, value: t.value });
    }
  }
  return out;
}

const OPEN_S: HfTok = { type: 'OpenStatement', value: '{%' };
const CLOSE_S: HfTok = { type: 'CloseStatement', value: '%}' };
const endTag = (name: string): HfTok[] => [OPEN_S, { type: 'Identifier', value: `end${name}` }, CLOSE_S];
const NO_EXPR = new Set(['else', 'endif', 'endfor', 'endmacro', 'endset', 'endcall', 'endfilter', 'break', 'continue', 'generation', 'endgeneration']);

/** Parses one code block on its own (a statement gets its end tag): the AST node, null when it has no expression, or why it failed. */
function parseBlock(b: Block): { node: Node | null } | { error: string } {
  const inner = hfTokens(b.toks);
  if (!inner) return { error: 'uses an operator @huggingface/jinja does not know' };
  try {
    if (b.kind === 'expr') return { node: parse([{ type: 'OpenExpression', value: '{{' }, ...inner, { type: 'CloseExpression', value: '}}' }] as never).body[0] as unknown as Node };
    const head = inner[0];
    if (!head || head.type !== 'Identifier') return { error: 'statement without a name' };
    let name = head.value;
    if (NO_EXPR.has(name)) return inner.length === 1 ? { node: null } : { error: `unexpected tokens after "${name}"` };
    let toks = inner;
    let tail: HfTok[] = [];
    if (name === 'elif') {
      name = 'if';
      toks = [{ type: 'Identifier', value: 'if' }, ...inner.slice(1)];
    }
    if (['if', 'for', 'macro', 'call', 'filter'].includes(name)) tail = endTag(name);
    else if (name === 'set') {
      let depth = 0;
      let eq = false;
      for (const t of toks) {
        if (/^Open(Paren|SquareBracket|CurlyBracket)$/.test(t.type)) depth++;
        else if (/^Close(Paren|SquareBracket|CurlyBracket)$/.test(t.type)) depth--;
        else if (t.type === 'Equals' && depth === 0) eq = true;
      }
      if (!eq) tail = endTag('set');
    } else return { error: `uses the statement "${name}", which @huggingface/jinja does not support` };
    return { node: parse([OPEN_S, ...toks, CLOSE_S, ...tail] as never).body[0] as unknown as Node };
  } catch (e) {
    return { error: e instanceof RangeError ? 'is nested too deeply to parse' : (e as Error).message };
  }
}

const STRING_TRICK = /%c|\{:c\}|\{0:c\}/;

/** Conservative checks on the tokens of a block the parser could not take. */
function tokenReasons(b: Block): Reason[] {
  const out: Reason[] = [];
  const toks = b.toks;
  const first = toks[0];
  if (b.kind === 'stmt' && first?.type === 'name') {
    if (first.value === 'import' || first.value === 'from') out.push({ severity: 'high', why: 'imports another template or module from inside the chat template', needle: first.value });
    if (first.value === 'include' || first.value === 'extends') out.push({ severity: 'medium', why: 'pulls in another template by name', needle: first.value });
  }
  let joined = '';
  toks.forEach((t, i) => {
    if (t.type === 'name') {
      const prev = toks[i - 1];
      const r = nameReason(t.value, false);
      // without scopes, "system" or "open" may be a variable: only an attribute of that name counts
      if (r && (!/OS or interpreter primitive/.test(r.why) || prev?.value === '.')) out.push(r);
      else if (['cycler', 'joiner', 'lipsum', 'self'].includes(t.value) && prev?.value !== '.') out.push({ severity: 'high', why: `uses the Jinja global "${t.value}", a classic sandbox escape gadget`, needle: t.value });
      else if (t.value === 'attr' && prev?.value === '|') out.push({ severity: 'high', why: "uses the |attr() filter, which looks up attributes without '.' or '[]'", needle: 'attr' });
    } else if (t.type === 'string') {
      joined += t.value;
      const r = nameReason(t.value, true);
      if (r && !/OS or interpreter primitive/.test(r.why)) out.push(r);
      else if (/^_|_$|__/.test(t.value) && t.value.length < 64) out.push({ severity: 'high', why: `holds an underscore name piece (${JSON.stringify(t.value)}) in a string`, needle: t.value });
      if (STRING_TRICK.test(t.value)) out.push({ severity: 'high', why: 'builds characters from numbers (%c)', needle: '%c' });
      if (t.inexact) out.push({ severity: 'medium', why: 'spells characters with \\N{…} escapes', needle: '\\N{' });
    }
  });
  if (/__/.test(joined) || /__/.test([...joined].reverse().join(''))) out.push({ severity: 'high', why: 'has strings that spell an underscore name when joined' });
  return out;
}

const excerpt = (s: string, i: number): string => JSON.stringify(s.slice(Math.max(0, i - 30), i + 50).replace(/\s+/g, ' '));

/** Statement nesting as the recursive parser would see it (an elif nests one level deeper). */
function nesting(blocks: Block[]): number {
  let depth = 0;
  let max = 0;
  const stack: number[] = [];
  for (const b of blocks) {
    if (b.kind !== 'stmt') continue;
    const t = b.toks;
    const name = t[0]?.type === 'name' ? t[0].value : '';
    if (['if', 'for', 'macro', 'call', 'filter'].includes(name) || (name === 'set' && !t.some((x) => x.value === '='))) {
      stack.push(1);
      depth++;
    } else if (name === 'elif' && stack.length) {
      stack[stack.length - 1]!++;
      depth++;
    } else if (/^end(if|for|macro|call|filter|set)$/.test(name) && stack.length) depth -= stack.pop()!;
    if (depth > max) max = depth;
  }
  return max;
}

export interface TemplateScanOptions {
  /** The template was cut at this many characters before it reached the scanner. */
  truncatedFrom?: number;
}

/**
 * Findings for one template. `location` prefixes the character offset (e.g. `kv tokenizer.chat_template`).
 * Rules: template.injection (code), template.prompt-injection (text), template.unparseable, template.limits.
 */
export function scanTemplate(template: string, file: string, location: string, opts: TemplateScanOptions = {}): Finding[] {
  const out: Finding[] = [];
  const split = splitTemplate(template);
  const limits: string[] = [];
  const unparseable: string[] = [...split.errors];
  if (opts.truncatedFrom !== undefined) limits.push(`only the first ${template.length} characters of ${opts.truncatedFrom} bytes were read`);

  const parsed = parseBlocks(split.blocks, limits, unparseable);
  analyse(parsed, split.blocks, limits);
  // What transformers.js accepts: a template Python renders but this parser rejects must not pass silently.
  const nest = nesting(split.blocks);
  if (nest > MAX_NESTING) limits.push(`statements are nested ${nest} deep`);
  else if (!limits.length && !unparseable.length) {
    try {
      parse(tokenize(template));
    } catch (e) {
      unparseable.push(e instanceof RangeError ? 'nested too deeply for @huggingface/jinja' : `@huggingface/jinja rejects it: ${(e as Error).message}`);
    }
  }

  // A reason reported once (in code) is not reported again (in text).
  const seen = new Set<string>();
  codeFindings(template, split.blocks, parsed.blockReasons, seen, limits, file, location, out);
  if (unparseable.length) {
    const uniq = [...new Set(unparseable)];
    out.push(finding('medium', 'template.unparseable', file, location, `chat template does not parse as Jinja (${uniq.slice(0, 3).join('; ')}${uniq.length > 3 ? `; ${uniq.length - 3} more` : ''}): Python Jinja2 may fail on it or read it differently from other renderers. ${ADVICE_PARSE}`));
  }
  if (limits.length) out.push(finding('medium', 'template.limits', file, location, `chat template not fully scanned: ${[...new Set(limits)].slice(0, 3).join('; ')}. It was checked token by token for gadgets; review it by hand or replace it with the upstream template.`));
  textFindings(split, seen, file, location, out);
  return out;
}

interface ParsedBlocks {
  stmts: Node[];
  /** Block index of each statement in `stmts`. */
  stmtBlock: number[];
  /** What each block does, by block index. */
  blockReasons: Map<number, Reason[]>;
  unparsed: Block[];
}

/** Per block: an AST when the parser can take it, token reasons otherwise. */
function parseBlocks(blocks: Block[], limits: string[], unparseable: string[]): ParsedBlocks {
  const p: ParsedBlocks = { stmts: [], stmtBlock: [], blockReasons: new Map(), unparsed: [] };
  blocks.forEach((b, i) => {
    if (b.error) unparseable.push(b.error);
    let r: ReturnType<typeof parseBlock> | null = null;
    if (b.toks.length > MAX_BLOCK_TOKENS || b.depth > MAX_DEPTH) limits.push(`a block at char ${b.at} is too ${b.depth > MAX_DEPTH ? `deeply nested (${b.depth} brackets)` : `long (${b.toks.length} tokens)`} to parse`);
    else if (!b.error) r = parseBlock(b);
    if (r && 'node' in r) {
      if (r.node) {
        p.stmts.push(r.node);
        p.stmtBlock.push(i);
      }
      return;
    }
    if (r && 'error' in r) unparseable.push(`block at char ${b.at} ${/^(uses|is|statement|unexpected)/.test(r.error) ? r.error : `does not parse: ${r.error}`}`);
    p.unparsed.push(b);
    p.blockReasons.set(i, tokenReasons(b));
  });
  return p;
}

/** Runs the analyser over the parsed statements and adds what it finds to their blocks' reasons. */
function analyse(p: ParsedBlocks, blocks: Block[], limits: string[]): void {
  const a = new Analyzer();
  a.declare(p.stmts);
  for (const b of p.unparsed) {
    // names bound where the parser could not look hold unknown values
    const t = b.toks;
    if (b.kind === 'stmt' && t[0]?.type === 'name' && (t[0].value === 'set' || t[0].value === 'for')) {
      for (let k = 1; k < t.length && t[k]!.value !== '=' && t[k]!.value !== 'in'; k++) if (t[k]!.type === 'name') a.bindUnknown(t[k]!.value);
    }
  }
  let perStmt: Reason[][];
  try {
    perStmt = a.run(p.stmts);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    limits.push('the template is nested too deeply to analyse');
    perStmt = [];
    blocks.forEach((b, i) => p.blockReasons.set(i, tokenReasons(b)));
  }
  perStmt.forEach((r, j) => {
    const i = p.stmtBlock[j]!;
    p.blockReasons.set(i, [...(p.blockReasons.get(i) ?? []), ...r]);
  });
}

/** One template.injection finding per block with reasons not reported before, in template order. */
function codeFindings(template: string, blocks: Block[], blockReasons: Map<number, Reason[]>, seen: Set<string>, limits: string[], file: string, location: string, out: Finding[]): void {
  let count = 0;
  let dropped = 0;
  for (const [i, reasons] of [...blockReasons].sort((x, y) => x[0] - y[0])) {
    const fresh = reasons.filter((r) => !seen.has(r.why) && seen.add(r.why));
    if (!fresh.length) continue;
    if (count >= MAX_CODE_FINDINGS) {
      dropped++;
      continue;
    }
    count++;
    const b = blocks[i]!;
    const worst = fresh.reduce((x, y) => (severityRank(y.severity) > severityRank(x.severity) ? y : x));
    const src = template.slice(b.at, Math.min(b.end, b.at + 100_000));
    const at = fresh.map((r) => (r.needle ? src.indexOf(r.needle) : -1)).find((x) => x >= 0) ?? 0;
    out.push(finding(worst.severity, 'template.injection', file, `${location}, char ${b.at}`, `chat template ${fresh.map((r) => r.why).join('; ')}: ${excerpt(src, at)}. ${ADVICE_CODE}`));
  }
  if (dropped) limits.push(`${dropped} more code blocks with new findings were not listed`);
}

/** Literal text (and long string literals) for instructions injected into prompts. */
function textFindings(split: ReturnType<typeof splitTemplate>, seen: Set<string>, file: string, location: string, out: Finding[]): void {
  const texts = [...split.text];
  for (const b of split.blocks) for (const t of b.toks) if (t.type === 'string' && t.value.length >= 8) texts.push({ text: t.value, at: b.at });
  for (const t of texts) {
    for (const p of TEXT_PATTERNS) {
      if (seen.has(p.why)) continue;
      const m = p.re.exec(t.text);
      if (!m) continue;
      seen.add(p.why);
      out.push(finding(p.severity, 'template.prompt-injection', file, `${location}, char ${t.at}`, `chat template ${p.why}: ${excerpt(t.text, m.index)}. Read the template's literal text before use; upstream templates carry no such instructions.`));
    }
  }
}

/** Chat templates are kilobytes; past this a .jinja file is reported as not fully scanned. */
const MAX_TEMPLATE_BYTES = 16 << 20;


/** A template file: scanning is linear, so read it all up to a generous cap, and say so past it. */
export async function scanTemplateFile(src: ByteSource, display: string): Promise<Finding[]> {
  const text = (await src.read(0, Math.min(src.size, MAX_TEMPLATE_BYTES))).toString('utf8');
  return scanTemplate(text, display, 'template', src.size > MAX_TEMPLATE_BYTES ? { truncatedFrom: src.size } : {});
}
