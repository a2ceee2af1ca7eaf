/**
 * The one Liquid configuration for templates: the syntax check at save, previews and sends all go through
 * this module, so a template that saves is rendered the same way everywhere.
 *
 * Template sources and variables come from API callers, so the engines are locked down: no partials or
 * layouts (nothing is ever read from disk), unknown filters fail at save, only own properties of the
 * variables are visible, and every render is bounded in time, memory and output size.
 */
import { CaptureTag, Liquid, LiquidError, toValue, type Context, type LiquidOptions } from 'liquidjs';
import { htmlToText } from './html-text.js';
import { ApiError } from '../shared/errors.js';
import { RENDER_LIMITS, TEMPLATE_SOURCE_MAX_BYTES } from './template-limits.js';
import type { RenderedTemplate, Template } from '../schemas/templates.js';

/** liquidjs's own conversion of an output value to text. */
function stringify(value: unknown): string {
  const plain = toValue(value);
  if (typeof plain === 'string') return plain;
  if (plain === null || plain === undefined) return '';
  if (Array.isArray(plain)) return plain.map(stringify).join('');
  return String(plain);
}

/** An output left as it is, its length charged to the render's memory budget. */
function meteredOutput(this: { context: Context }, value: unknown): string {
  const text = stringify(value);
  this.context.memoryLimit.use(text.length);
  return text;
}

/**
 * liquidjs charges its memory budget for filters, ranges and escaping, but not for plain outputs or captures,
 * so `{% capture %}` in a loop could double a string until the process runs out of memory. This capture
 * charges what it captured; plain outputs are charged by meteredOutput.
 */
class MeteredCaptureTag extends CaptureTag {
  override *render(ctx: Context): Generator<unknown, void, string> {
    yield* super.render(ctx);
    ctx.memoryLimit.use(String(ctx.bottom()[this.variable]).length);
  }
}

const BASE_OPTIONS: LiquidOptions = {
  // An empty in-memory file system: even if a partial tag were registered again, it could not read a file.
  templates: {},
  strictFilters: true,
  strictVariables: false,
  ownPropertyOnly: true,
  // The same dates locally and on Lambda, whatever the machine's zone and locale.
  timezoneOffset: 0,
  locale: 'en-US',
  parseLimit: Math.max(...Object.values(TEMPLATE_SOURCE_MAX_BYTES)),
  renderLimit: RENDER_LIMITS.milliseconds,
  memoryLimit: RENDER_LIMITS.memory,
};

/** Tags that pull in other templates: there is nothing to include, so they fail at save instead of at send. */
const PARTIAL_TAGS = ['include', 'render', 'layout'];

function engine(options: LiquidOptions): Liquid {
  const liquid = new Liquid({ ...BASE_OPTIONS, ...options });
  for (const tag of PARTIAL_TAGS) delete liquid.tags[tag];
  liquid.registerTag('capture', MeteredCaptureTag);
  // `| raw` skips outputEscape, so it is metered too.
  liquid.registerFilter('raw', { raw: true, handler: meteredOutput });
  return liquid;
}

/** HTML escapes every output (the escape filter charges the budget itself); subject and text do not escape. */
const htmlEngine = engine({ outputEscape: 'escape' });
const plainEngine = engine({ outputEscape: meteredOutput });

/** `line 3, col 7: tag "endif" not found`: liquidjs's message with its position in front. */
function positioned(error: LiquidError): string {
  const [line, col] = error.token.getPosition();
  return `line ${line}, col ${col}: ${error.message.replace(/, line:\d+, col:\d+$/, '')}`;
}

/** The syntax error in a Liquid source, or undefined when it parses (parsing is the same for every part). */
export function liquidSyntaxError(source: string): string | undefined {
  try {
    plainEngine.parse(source);
    return undefined;
  } catch (error) {
    if (LiquidError.is(error)) return positioned(error);
    throw error;
  }
}

type Part = 'subject' | 'html' | 'text';

function renderFailed(part: Part, message: string): ApiError {
  return new ApiError('validation_error', `The template could not be rendered: ${part}: ${message}`, {
    param: 'variables',
    errors: [{ field: part, code: 'render_failed', message }],
  });
}

async function renderPart(part: Part, liquid: Liquid, source: string, scope: Record<string, unknown>): Promise<string> {
  let output: string;
  try {
    output = await liquid.parseAndRender(source, scope);
  } catch (error) {
    if (LiquidError.is(error)) throw renderFailed(part, positioned(error));
    throw error;
  }
  // Every UTF-16 unit takes at least one UTF-8 byte: checking the length first avoids measuring a huge string.
  if (output.length > RENDER_LIMITS.partBytes || Buffer.byteLength(output) > RENDER_LIMITS.partBytes) {
    throw renderFailed(part, `the rendered ${part} is larger than ${RENDER_LIMITS.partBytes} bytes.`);
  }
  return output;
}

/**
 * Declared defaults, overridden by the given variables; null counts as not given. Built with fromEntries so
 * a variable named `__proto__` is an ordinary key, never the scope's prototype.
 */
function scopeOf(declared: Template['variables'], given: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries([
    ...declared.flatMap((variable) => (variable.default === undefined ? [] : [[variable.name, variable.default] as const])),
    ...Object.entries(given).filter(([, value]) => value !== null && value !== undefined),
  ]);
}

/**
 * Liquid tags spread over lines must not break the subject into several header lines. Split and trim rather
 * than one regex: overlapping whitespace patterns backtrack quadratically on long runs of spaces.
 */
const oneLine = (subject: string) =>
  subject
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');

/**
 * Renders a template's parts. The html part escapes every output (`| raw` opts out); subject and text do not.
 * Without a text part, the text is generated from the rendered html. Missing variables render their declared
 * default or nothing. Anything that stops a render (a limit, an output too large) is a 422, never a crash.
 */
export async function renderContent(
  content: Pick<Template, 'subject' | 'html' | 'text' | 'variables'>,
  variables: Record<string, unknown>,
): Promise<Omit<RenderedTemplate, 'template_version'>> {
  const scope = scopeOf(content.variables, variables);
  const subject = oneLine(await renderPart('subject', plainEngine, content.subject, scope));
  if (subject.length > RENDER_LIMITS.subjectChars) {
    throw renderFailed('subject', `the rendered subject is ${subject.length} characters; at most ${RENDER_LIMITS.subjectChars}.`);
  }
  const html = await renderPart('html', htmlEngine, content.html, scope);
  const text = content.text === null ? htmlToText(html) : await renderPart('text', plainEngine, content.text, scope);
  return { subject, html, text };
}
