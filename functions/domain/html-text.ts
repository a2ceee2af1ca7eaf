/**
 * Plain text from HTML: the text part of mail that has only HTML (sends, template previews, received mail),
 * as a reader of the HTML would see it. Paragraphs and blocks become lines with blank lines between them,
 * headings are upper-cased, links read `text [url]`, lists get ` * ` or `1. ` markers, quotes `> `, and lines
 * wrap at 78 characters (RFC 5322's recommended length). Images, scripts, styles and the head are left out.
 *
 * Written for mail rather than taken from a general converter: this is a few kilobytes where html-to-text
 * and its parser, selector engine and entity tables were ~190 KB in every function that sends.
 */

const WIDTH = 78;

/** Elements whose content is never text for the reader. */
const SKIPPED = new Set(['head', 'script', 'style', 'template', 'title', 'noscript', 'svg', 'object', 'iframe']);
/** Blocks separated by a blank line, and blocks that only start on a new line. */
const PARAGRAPHS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'dl', 'table', 'blockquote', 'pre', 'figure']);
const BLOCKS = new Set([
  'div', 'li', 'tr', 'dt', 'dd', 'section', 'article', 'header', 'footer', 'main', 'nav', 'aside', 'address',
  'figcaption', 'form', 'fieldset', 'center', 'caption', 'thead', 'tbody', 'tfoot', 'details', 'summary',
]);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const CELLS = new Set(['td', 'th']);

/** HTML 4's Latin-1 entities name U+00A0…U+00FF in order. */
const LATIN1 =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest ' +
  'Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig ' +
  'agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml';
/** The other named entities mail uses; an unknown name is left as written. */
const OTHERS: Record<string, number> = {
  quot: 34, amp: 38, apos: 39, lt: 60, gt: 62, OElig: 338, oelig: 339, Scaron: 352, scaron: 353, Yuml: 376, fnof: 402, circ: 710, tilde: 732,
  ensp: 8194, emsp: 8195, thinsp: 8201, zwnj: 8204, zwj: 8205, lrm: 8206, rlm: 8207, ndash: 8211, mdash: 8212, lsquo: 8216, rsquo: 8217,
  sbquo: 8218, ldquo: 8220, rdquo: 8221, bdquo: 8222, dagger: 8224, Dagger: 8225, bull: 8226, hellip: 8230, permil: 8240, prime: 8242,
  Prime: 8243, lsaquo: 8249, rsaquo: 8250, oline: 8254, frasl: 8260, euro: 8364, trade: 8482, larr: 8592, uarr: 8593, rarr: 8594,
  darr: 8595, harr: 8596, minus: 8722, infin: 8734, ne: 8800, le: 8804, ge: 8805, hearts: 9829,
};
const NAMED = new Map<string, number>([...LATIN1.split(' ').map((name, i) => [name, 160 + i] as const), ...Object.entries(OTHERS)]);
/** Browsers read &#128;…&#159; as windows-1252 (&#146; is ’), and so does mail written for them. */
const WINDOWS_1252 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/**
 * Text decoded as Latin-1 where it was windows-1252, repaired: U+0080…U+009F (C1 controls, which no mail text means)
 * become the windows-1252 characters at those bytes (’, “, ”, –, —, €, …). Node's TextDecoder reads windows-1252
 * and its aliases (iso-8859-1, us-ascii) as Latin-1 in some releases; WHATWG and mail clients read windows-1252.
 */
export function repairWindows1252(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (control) => String.fromCodePoint(WINDOWS_1252[control.charCodeAt(0) - 0x80]!));
}

function codePoint(code: number): string {
  if (code >= 0x80 && code <= 0x9f) return String.fromCodePoint(WINDOWS_1252[code - 0x80]!);
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(code);
}

export function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));/g, (entity, decimal?: string, hex?: string, name?: string) => {
    if (decimal !== undefined) return codePoint(Number(decimal));
    if (hex !== undefined) return codePoint(parseInt(hex, 16));
    const named = NAMED.get(name!);
    return named === undefined ? entity : String.fromCodePoint(named);
  });
}

/** An attribute's decoded value from a tag's attribute source. */
function attribute(source: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i').exec(source);
  return match ? decodeEntities(match[1] ?? match[2] ?? match[3] ?? '') : undefined;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Collects inline text into paragraphs and writes them as wrapped, prefixed lines. */
class TextWriter {
  private readonly lines: string[] = [];
  /** The paragraph so far, in pieces (appending to one string and testing its end would copy it every time). */
  private parts: string[] = [];
  private length = 0;
  private endsInSpace = true;
  /** Newlines owed before the next text: 1 starts a new line, 2 leaves a blank line. */
  private breaks = 0;
  /** The quote markers of the last line written: a blank line between two lines is quoted as deep as both are. */
  private lastQuote = '';
  /** Quote markers and list indentation, outermost first; `marker` replaces the innermost indentation on an item's first line. */
  readonly prefixes: string[] = [];
  marker: string | undefined;
  uppercase = 0;
  preformatted = 0;

  text(raw: string): void {
    let text = decodeEntities(raw);
    if (this.uppercase) text = text.toUpperCase();
    if (this.preformatted) {
      const [first, ...rest] = text.split(/\r?\n/);
      this.append(first!);
      for (const line of rest) {
        this.lineBreak();
        this.append(line);
      }
      return;
    }
    text = text.replace(/[\s\u00a0]+/g, ' ');
    if (this.endsInSpace && text.startsWith(' ')) text = text.slice(1);
    this.append(text);
  }

  private append(text: string): void {
    if (!text) return;
    this.parts.push(text);
    this.length += text.length;
    this.endsInSpace = text.endsWith(' ');
  }

  get paragraphLength(): number {
    return this.length;
  }

  textSince(start: number): string {
    return this.parts.join('').slice(start).trim();
  }

  block(breaks: number): void {
    this.flush();
    this.breaks = Math.max(this.breaks, breaks);
  }

  /** `<br>`: ends the line; a second one in a row leaves a blank line. */
  lineBreak(): void {
    if (this.flush()) return;
    this.breaks = Math.min(this.breaks + 1, 3);
  }

  line(text: string, breaks: number): void {
    this.block(breaks);
    this.preformatted++;
    this.append(text);
    this.block(breaks);
    this.preformatted--;
  }

  private quote(): string {
    return this.prefixes
      .filter((prefix) => prefix === '> ')
      .join('')
      .trimEnd();
  }

  private flush(): boolean {
    const joined = this.parts.join('');
    const text = this.preformatted ? joined.trimEnd() : joined.trim();
    this.parts = [];
    this.length = 0;
    this.endsInSpace = true;
    if (!text) return false;
    const indent = this.prefixes.join('');
    const body = this.preformatted ? [text] : wrap(text, Math.max(20, WIDTH - indent.length));
    const quote = this.quote();
    const gap = quote.length < this.lastQuote.length ? quote : this.lastQuote;
    if (this.lines.length) for (let i = 1; i < this.breaks; i++) this.lines.push(gap);
    body.forEach((line, i) => {
      const prefix = i === 0 && this.marker !== undefined ? this.prefixes.slice(0, -1).join('') + this.marker : indent;
      this.lines.push((prefix + line).trimEnd());
    });
    this.marker = undefined;
    this.breaks = 1;
    this.lastQuote = quote;
    return true;
  }

  finish(): string {
    this.flush();
    return this.lines.join('\n');
  }
}

interface OpenList {
  ordered: boolean;
  next: number;
  /** An item still open: `</li>` may be left out, so the next item or the list's end closes it. */
  item: boolean;
}

type Link = { href: string | undefined; start: number };

const TAG_NAME = /[A-Za-z][A-Za-z0-9:-]*/y;

/** Index of the `>` that ends the tag whose attributes start at `from` (quoted values may hold `>`), or -1. */
function tagEnd(html: string, from: number): number {
  for (let i = from; i < html.length; i++) {
    const char = html[i];
    if (char === '>') return i;
    if (char !== '=') continue;
    let value = i + 1;
    while (html[value] === ' ' || html[value] === '\t' || html[value] === '\n' || html[value] === '\r') value++;
    const quote = html[value];
    if (quote !== '"' && quote !== "'") continue;
    const closed = html.indexOf(quote, value + 1);
    if (closed < 0) return -1;
    i = closed;
  }
  return -1;
}

/**
 * One pass over the source, in linear time whatever it holds. As in a browser, a tag or comment left open at the
 * end hides the rest, and the content of a skipped element runs to its end tag.
 */
export function htmlToText(html: string): string {
  const out = new TextWriter();
  const lists: OpenList[] = [];
  const links: Link[] = [];
  let at = 0;
  while (at < html.length) {
    const lt = html.indexOf('<', at);
    if (lt < 0) {
      out.text(html.slice(at));
      break;
    }
    if (lt > at) out.text(html.slice(at, lt));
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      if (end < 0) break;
      at = end + 3;
      continue;
    }
    const closing = html[lt + 1] === '/';
    TAG_NAME.lastIndex = lt + (closing ? 2 : 1);
    const name = TAG_NAME.exec(html)?.[0].toLowerCase();
    if (!name) {
      if (html[lt + 1] !== '!' && html[lt + 1] !== '?' && !closing) {
        out.text('<');
        at = lt + 1;
        continue;
      }
      // <!DOCTYPE …>, <?xml …?>, </ …>: not content.
      const end = html.indexOf('>', lt);
      if (end < 0) break;
      at = end + 1;
      continue;
    }
    const end = tagEnd(html, TAG_NAME.lastIndex);
    if (end < 0) break;
    const attributes = html.slice(TAG_NAME.lastIndex, end);
    at = end + 1;
    if (closing) {
      close(out, name, lists, links);
    } else if (SKIPPED.has(name)) {
      if (attributes.trimEnd().endsWith('/')) continue;
      const endTag = new RegExp(`</${name}\\b[^>]*>`, 'gi');
      endTag.lastIndex = at;
      if (!endTag.exec(html)) break;
      at = endTag.lastIndex;
    } else {
      open(out, name, attributes, lists, links);
    }
  }
  return out.finish();
}

function open(out: TextWriter, name: string, attributes: string, lists: OpenList[], links: Link[]): void {
  if (name === 'br') return out.lineBreak();
  if (name === 'hr') return out.line('-'.repeat(WIDTH), 2);
  if (name === 'a') {
    links.push({ href: attribute(attributes, 'href'), start: out.paragraphLength });
    return;
  }
  if (CELLS.has(name)) return out.text(' ');
  if (PARAGRAPHS.has(name)) out.block(lists.length && (name === 'ul' || name === 'ol') ? 1 : 2);
  else if (BLOCKS.has(name)) out.block(1);
  if (HEADINGS.has(name)) out.uppercase++;
  if (name === 'pre') out.preformatted++;
  if (name === 'blockquote') out.prefixes.push('> ');
  if (name === 'ul' || name === 'ol') lists.push({ ordered: name === 'ol', next: Number(attribute(attributes, 'start')) || 1, item: false });
  if (name === 'li') {
    const list = lists.at(-1);
    if (list?.item) endItem(out, list);
    const marker = list?.ordered ? `${list.next++}. ` : ' * ';
    out.prefixes.push(' '.repeat(marker.length));
    out.marker = marker;
    if (list) list.item = true;
  }
}

function endItem(out: TextWriter, list: OpenList | undefined): void {
  if (list && !list.item) return;
  out.block(1);
  out.prefixes.pop();
  out.marker = undefined;
  if (list) list.item = false;
}

function close(out: TextWriter, name: string, lists: OpenList[], links: Link[]): void {
  if (name === 'a') {
    const link = links.pop();
    const href = link?.href?.trim();
    if (!link || !href || href.startsWith('#') || /^javascript:/i.test(href)) return;
    const text = out.textSince(link.start);
    if (text !== href && `mailto:${text}` !== href) out.text(text ? ` [${href}]` : `[${href}]`);
    return;
  }
  if (CELLS.has(name)) return out.text(' ');
  if (PARAGRAPHS.has(name)) out.block(lists.length > (name === 'ul' || name === 'ol' ? 1 : 0) ? 1 : 2);
  else if (BLOCKS.has(name)) out.block(1);
  if (HEADINGS.has(name)) out.uppercase = Math.max(0, out.uppercase - 1);
  if (name === 'pre') out.preformatted = Math.max(0, out.preformatted - 1);
  if (name === 'blockquote') {
    const quote = out.prefixes.lastIndexOf('> ');
    if (quote >= 0) out.prefixes.splice(quote, 1);
  }
  if (name === 'li') endItem(out, lists.at(-1));
  if (name === 'ul' || name === 'ol') {
    const list = lists.pop();
    if (list?.item) endItem(out, list);
  }
}
