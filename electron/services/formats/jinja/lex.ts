// Splits a chat template into text and code blocks and lexes the code the way Python's Jinja2 does
// (its string escapes, numbers, operators, `{% raw %}`, bracket balancing). Python Jinja2 is the renderer
// that runs payloads, and @huggingface/jinja's lexer rejects escapes Python accepts (\N{…}, octal, \U…),
// so string values are decoded here and the tokens handed to the library's parser.
// Everything is a single forward pass: no backtracking, no regex that can rescan (hostile templates).

export interface PyTok {
  type: 'name' | 'string' | 'number' | 'op';
  /** Decoded value (strings), canonical decimal (numbers), or the text. */
  value: string;
  /** Offset in the template. */
  at: number;
  /** A string whose \N{…} names this scanner does not know: its value is not known exactly. */
  inexact?: boolean;
}

export interface Block {
  kind: 'expr' | 'stmt';
  /** Offset of the opening delimiter. */
  at: number;
  end: number;
  toks: PyTok[];
  /** Deepest (, [, { nesting inside the block. */
  depth: number;
  /** Why Python Jinja2 would reject this block (unterminated, unknown character, bad escape). */
  error?: string;
}

export interface Split {
  blocks: Block[];
  text: Array<{ text: string; at: number }>;
  /** Template-level lexing problems (unterminated comment or raw block). */
  errors: string[];
}

const OPS = ['**', '//', '==', '!=', '>=', '<=', '+', '-', '/', '*', '%', '~', '[', ']', '(', ')', '{', '}', '>', '<', '=', '.', ':', '|', ',', ';'];
const NAME_START = /[\p{L}\p{Nl}_]/u;
const NAME_PART = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/u;

// Unicode names of the printable ASCII characters: enough to decode every \N{…} that can spell a Python
// attribute name made of ASCII (dunders are). Other names decode inexactly (and are judged as unknown).
const ASCII_NAMES: Record<string, string> = (() => {
  const named = ['SPACE', 'EXCLAMATION MARK', 'QUOTATION MARK', 'NUMBER SIGN', 'DOLLAR SIGN', 'PERCENT SIGN', 'AMPERSAND', 'APOSTROPHE', 'LEFT PARENTHESIS', 'RIGHT PARENTHESIS', 'ASTERISK', 'PLUS SIGN', 'COMMA', 'HYPHEN-MINUS', 'FULL STOP', 'SOLIDUS'];
  const m: Record<string, string> = {};
  named.forEach((n, i) => (m[n] = String.fromCharCode(0x20 + i)));
  const digits = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'];
  digits.forEach((d, i) => (m[`DIGIT ${d}`] = String(i)));
  Object.assign(m, { COLON: ':', SEMICOLON: ';', 'LESS-THAN SIGN': '<', 'EQUALS SIGN': '=', 'GREATER-THAN SIGN': '>', 'QUESTION MARK': '?', 'COMMERCIAL AT': '@', 'LEFT SQUARE BRACKET': '[', 'REVERSE SOLIDUS': '\\', 'RIGHT SQUARE BRACKET': ']', 'CIRCUMFLEX ACCENT': '^', 'LOW LINE': '_', 'GRAVE ACCENT': '`', 'LEFT CURLY BRACKET': '{', 'VERTICAL LINE': '|', 'RIGHT CURLY BRACKET': '}', TILDE: '~', SP: ' ', 'LINE FEED': '\n', LF: '\n', 'CHARACTER TABULATION': '\t', TAB: '\t', 'CARRIAGE RETURN': '\r', CR: '\r', NULL: '\0', NUL: '\0' });
  for (let c = 0; c < 26; c++) {
    m[`LATIN CAPITAL LETTER ${String.fromCharCode(65 + c)}`] = String.fromCharCode(65 + c);
    m[`LATIN SMALL LETTER ${String.fromCharCode(65 + c)}`] = String.fromCharCode(97 + c);
  }
  return m;
})();

/**
 * Decodes a string literal body as Jinja2 does (`.encode('ascii', 'backslashreplace').decode('unicode-escape')`):
 * Python's escapes, unknown ones kept verbatim. Returns null when Python would raise.
 */
export function decodePyString(body: string): { value: string; inexact: boolean } | null {
  let out = '';
  let inexact = false;
  let i = 0;
  while (i < body.length) {
    const j = body.indexOf('\\', i);
    if (j < 0) {
      out += body.slice(i);
      break;
    }
    out += body.slice(i, j);
    const c = body[j + 1];
    i = j + 2;
    if (c === undefined) return null;
    const simple: Record<string, string> = { '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    if (c in simple) out += simple[c];
    else if (c >= '0' && c <= '7') {
      let k = j + 1;
      while (k < j + 4 && body[k]! >= '0' && body[k]! <= '7') k++;
      out += String.fromCodePoint(parseInt(body.slice(j + 1, k), 8));
      i = k;
    } else if (c === 'x' || c === 'u' || c === 'U') {
      const n = c === 'x' ? 2 : c === 'u' ? 4 : 8;
      const hex = body.slice(i, i + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) return null;
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) return null;
      out += String.fromCodePoint(cp);
      i += n;
    } else if (c === 'N') {
      const close = body[i] === '{' ? body.indexOf('}', i) : -1;
      if (close < 0) return null;
      const name = body.slice(i + 1, close).toUpperCase().trim();
      const ch = ASCII_NAMES[name];
      if (ch === undefined) {
        inexact = true; // a real Unicode character we cannot name here: never ASCII "_" or "."
        out += '\ufffd';
      } else out += ch;
      i = close + 1;
    } else out += `\\${c}`;
  }
  return { value: out, inexact };
}

function pyNumber(src: string, i: number): { text: string; value: string } | null {
  const m = /^(?:0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[0-9a-fA-F])+|\d(?:_?\d)*(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?)/.exec(src.slice(i, i + 400));
  if (!m) return null;
  const t = m[0].replace(/_/g, '');
  let v: number;
  if (/^0[bB]/.test(t)) v = parseInt(t.slice(2), 2);
  else if (/^0[oO]/.test(t)) v = parseInt(t.slice(2), 8);
  else if (/^0[xX]/.test(t)) v = parseInt(t.slice(2), 16);
  else v = Number(t);
  // Floats keep a dot so the parser makes a FloatLiteral; integers stay integral.
  const isFloat = /[.eE]/.test(t) && !/^0[xX]/.test(t);
  return { text: m[0], value: isFloat ? (Number.isInteger(v) ? `${v}.0` : String(v)) : String(v) };
}

/** One pass over the template: text, comments, raw blocks and code blocks (lexed). */
export function splitTemplate(t: string): Split {
  const blocks: Block[] = [];
  const text: Split['text'] = [];
  const errors: string[] = [];
  let pos = 0;
  const n = t.length;
  while (pos < n) {
    // next "{{", "{%" or "{#"
    let open = pos;
    for (;;) {
      open = t.indexOf('{', open);
      if (open < 0 || open + 1 >= n) {
        open = -1;
        break;
      }
      const c = t[open + 1];
      if (c === '{' || c === '%' || c === '#') break;
      open++;
    }
    if (open < 0) {
      text.push({ text: t.slice(pos), at: pos });
      break;
    }
    if (open > pos) text.push({ text: t.slice(pos, open), at: pos });
    const kind = t[open + 1];
    if (kind === '#') {
      const close = t.indexOf('#}', open + 2);
      if (close < 0) {
        errors.push(`comment at char ${open} is never closed`);
        break;
      }
      pos = close + 2;
      continue;
    }
    // {% raw %}…{% endraw %} is text to Jinja2
    const raw = kind === '%' ? /^\{%[-+]?\s*raw\s*[-+]?%\}/.exec(t.slice(open, open + 64)) : null;
    if (raw) {
      const endRe = /\{%[-+]?\s*endraw\s*[-+]?%\}/g;
      endRe.lastIndex = open + raw[0].length;
      const e = endRe.exec(t);
      if (!e) {
        errors.push(`raw block at char ${open} is never closed`);
        text.push({ text: t.slice(open + raw[0].length), at: open + raw[0].length });
        break;
      }
      text.push({ text: t.slice(open + raw[0].length, e.index), at: open + raw[0].length });
      pos = e.index + e[0].length;
      continue;
    }
    const b = lexBlock(t, open, kind === '{' ? 'expr' : 'stmt');
    blocks.push(b);
    pos = b.end;
  }
  return { blocks, text, errors };
}

function lexBlock(t: string, open: number, kind: 'expr' | 'stmt'): Block {
  const closeCh = kind === 'expr' ? '}' : '%';
  const toks: PyTok[] = [];
  const stack: string[] = [];
  let depth = 0;
  let i = open + 2;
  if (t[i] === '-' || t[i] === '+') i++;
  const n = t.length;
  const done = (end: number, error?: string): Block => ({ kind, at: open, end, toks, depth, ...(error ? { error } : {}) });
  while (i < n) {
    const c = t[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    // The closing delimiter only counts when brackets are balanced (as in Jinja2's lexer).
    if (!stack.length) {
      if ((c === '-' || c === '+') && t[i + 1] === closeCh && t[i + 2] === '}') return done(i + 3);
      if (c === closeCh && t[i + 1] === '}') return done(i + 2);
    }
    if (c === "'" || c === '"') {
      // find the closing quote, skipping escapes
      let j = i + 1;
      while (j < n && t[j] !== c) j += t[j] === '\\' ? 2 : 1;
      if (j >= n) return done(n, `string at char ${i} is never closed`);
      const d = decodePyString(t.slice(i + 1, j).replace(/\r\n?/g, '\n'));
      if (!d) return done(n, `string at char ${i} has an escape Python rejects`);
      toks.push({ type: 'string', value: d.value, at: i, ...(d.inexact ? { inexact: true } : {}) });
      i = j + 1;
      continue;
    }
    if (c >= '0' && c <= '9') {
      const num = pyNumber(t, i);
      if (num) {
        toks.push({ type: 'number', value: num.value, at: i });
        i += num.text.length;
        continue;
      }
    }
    if (NAME_START.test(c)) {
      let j = i + 1;
      while (j < n && NAME_PART.test(t[j]!)) j++;
      toks.push({ type: 'name', value: t.slice(i, j), at: i });
      i = j;
      continue;
    }
    const op = OPS.find((o) => t.startsWith(o, i));
    if (!op) return done(n, `unexpected character ${JSON.stringify(c)} at char ${i}`);
    if (op === '(' || op === '[' || op === '{') {
      stack.push(op);
      if (stack.length > depth) depth = stack.length;
    } else if (op === ')' || op === ']' || op === '}') stack.pop();
    toks.push({ type: 'op', value: op, at: i });
    i += op.length;
  }
  return done(n, `${kind === 'expr' ? '{{' : '{%'} at char ${open} is never closed`);
}
