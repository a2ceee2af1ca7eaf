import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText, repairWindows1252 } from '../../functions/domain/html-text.js';

describe('htmlToText', () => {
  it('writes paragraphs and blocks as lines, headings upper-cased, links as text [url]', () => {
    expect(htmlToText('<h1>Welcome</h1><p>Hello Ann, <a href="https://example.com/go">start here</a>.</p><div>Line one<br>Line two<br><br>After a blank</div>')).toBe(
      'WELCOME\n\nHello Ann, start here [https://example.com/go].\n\nLine one\nLine two\n\nAfter a blank',
    );
  });

  it('leaves out the head, scripts, styles, comments, images and links that say nothing new', () => {
    const html =
      '<!DOCTYPE html><html><head><title>T</title><style>p { color: red }</style></head><body><!-- hidden --><script>if (a < b) document.write("<p>x</p>")</script>' +
      '<p><img src="pixel.gif" alt=""><a href="mailto:ann@example.com">ann@example.com</a>, <a href="#top">top</a>, <a href="https://example.com/"><img src="logo.png"></a></p></body></html>';
    expect(htmlToText(html)).toBe('ann@example.com, top, [https://example.com/]');
  });

  it('marks list items, numbers ordered lists, quotes blockquotes and keeps preformatted text', () => {
    const html =
      '<ul><li>One</li><li>Two<ul><li>Nested</li></ul></li><li>Three</ul><ol start="3"><li>c<li>d</ol>' +
      '<blockquote><p>Quoted</p><p>Second</p></blockquote><pre>  code\n    indented</pre><table><tr><td>A1</td><td>B1</td></tr><tr><td>A2</td><td>B2</td></tr></table>';
    expect(htmlToText(html)).toBe(' * One\n * Two\n    * Nested\n * Three\n\n3. c\n4. d\n\n> Quoted\n>\n> Second\n\n  code\n    indented\n\nA1 B1\nA2 B2');
  });

  it('collapses whitespace and wraps lines at 78 characters without breaking words', () => {
    const text = htmlToText(`<p>${'word   \n'.repeat(40)}</p><p>https://example.com/${'x'.repeat(100)}</p>`);
    const lines = text.split('\n');
    expect(lines.slice(0, 3).map((line) => line.length)).toEqual([74, 74, 49]);
    expect(lines.at(-1)).toBe(`https://example.com/${'x'.repeat(100)}`);
  });

  it('shows what the reader saw: decoded entities, escaped markup as text', () => {
    expect(htmlToText('<h1>Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</h1><p>Your plan: &lt;b&gt;Pro&lt;/b&gt; &amp; co</p>')).toBe(
      'HELLO <SCRIPT>ALERT("X")</SCRIPT>\n\nYour plan: <b>Pro</b> & co',
    );
    expect(htmlToText('plain text & more < less')).toBe('plain text & more < less');
  });

  it('ends at a tag or comment left open, as a browser does', () => {
    expect(htmlToText('<p>before <a href="x')).toBe('before');
    expect(htmlToText('<p>before</p><!-- never closed <p>after</p>')).toBe('before');
  });

  it('runs in linear time on hostile input: four times the input takes about four times as long, not sixteen', () => {
    const timed = (html: string) => {
      const started = performance.now();
      htmlToText(html);
      return performance.now() - started;
    };
    for (const [unit, count] of [['<a "', 40_000], ['<p>x <b>y</b> ', 20_000], ['<a href="x">', 20_000], ['<ul><li>', 5_000]] as const) {
      const small = timed(unit.repeat(count));
      const large = timed(unit.repeat(4 * count));
      // Generous against a loaded machine, and still far below the 16× of quadratic work (plus a floor for tiny times).
      expect(large, unit).toBeLessThan(10 * small + 50);
    }
  });
});

describe('decodeEntities', () => {
  it('decodes numeric, Latin-1 and common named entities; leaves unknown ones as written', () => {
    expect(decodeEntities('caf&eacute; &euro;5 &#8217;&#x2019; &copy; &yuml; &szlig; &hellip; &unknown; &amp')).toBe('café €5 ’’ © ÿ ß … &unknown; &amp');
  });

  it('reads &#128;–&#159; as windows-1252, as browsers do, and never yields a lone surrogate or NUL', () => {
    expect(decodeEntities('&#146;&#150;&#128;')).toBe('’–€');
    expect(decodeEntities('&#0;&#xD800;&#x110000;')).toBe('\ufffd\ufffd\ufffd');
  });
});

describe('repairWindows1252', () => {
  it('reads text a decoder left as Latin-1 C1 controls as the windows-1252 characters at those bytes', () => {
    // windows-1252 bytes read as Latin-1, as Node's TextDecoder does in some releases.
    const asLatin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x93, 0x71, 0x94, 0x20, 0x96, 0x20, 0x80, 0x35]).toString('latin1');
    expect(repairWindows1252(asLatin1)).toBe('café “q” – €5');
    expect(repairWindows1252('plain ASCII, déjà vu, 日本語')).toBe('plain ASCII, déjà vu, 日本語');
  });
});
