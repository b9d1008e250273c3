/**
 * Self-contained HTML pages: one file with inline CSS and inline SVG, readable offline, with no
 * script. The `html` tag escapes every interpolated value unless it is already markup (an `Html`),
 * so escaping is the default and forgetting it is not possible by omission.
 */
import { escapeXml } from './format.js';

/** Markup that is already safe to insert as is. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks trusted markup (e.g. an SVG from charts.ts) for insertion without escaping. */
export function raw(markup: string): Html {
  return new Html(markup);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeXml(String(value));
}

/** Template tag: strings are escaped, `Html` values inserted as they are, arrays joined. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

export type Cell = string | number | Html | null | undefined | { content: string | number | Html; attrs: Attrs };
type Attrs = Record<string, string | number>;

function attrText(attrs: Attrs | undefined): string {
  return Object.entries(attrs ?? {})
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
}

function cell(tag: 'td' | 'th', value: Cell): string {
  if (value !== null && typeof value === 'object' && !(value instanceof Html)) {
    return `<${tag}${attrText(value.attrs)}>${render(value.content)}</${tag}>`;
  }
  return `<${tag}>${render(value ?? '')}</${tag}>`;
}

/** A right-aligned, tabular-figures cell (the stylesheet's td.num). */
export function numCell(content: string | number): Cell {
  return { content, attrs: { class: 'num' } };
}

/** A table; a cell given as {content, attrs} gets attributes (class, rowspan, data-*). */
export function table(spec: { headers: string[]; rows: Cell[][]; caption?: string; className?: string }): Html {
  const head = `<tr>${spec.headers.map((h) => cell('th', h)).join('')}</tr>`;
  const body = spec.rows.map((row) => `<tr>${row.map((c) => cell('td', c)).join('')}</tr>`).join('\n');
  const caption = spec.caption ? `<caption>${escapeXml(spec.caption)}</caption>` : '';
  return raw(
    `<table${attrText(spec.className ? { class: spec.className } : undefined)}>${caption}` +
      `<thead>${head}</thead><tbody>\n${body}\n</tbody></table>`,
  );
}

/** The stylesheet every page shares: plain, legible, and fine on paper. */
export const BASE_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; background: #fff;
  margin: 0 auto; padding: 24px 32px 48px; max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 20px 0 6px; }
p, .meta { margin: 6px 0; }
.meta { color: #555; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f4f4f4; padding: 0 3px; border-radius: 3px; }
figure { margin: 12px 0; }
figcaption { color: #555; font-size: 13px; margin-top: 4px; max-width: 900px; }
svg.chart { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
caption { text-align: left; color: #555; padding-bottom: 4px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.fits { color: #17663a; font-weight: 600; }
.misfit { color: #a1262b; font-weight: 600; }
.unknown, .muted { color: #777; }
.missing { color: #8a5a00; font-style: italic; }
@media print { body { padding: 0; } h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
`;

/** A complete HTML document. */
export function htmlPage(spec: { title: string; body: Html; css?: string; lang?: string }): string {
  return (
    `<!DOCTYPE html>\n<html lang="${escapeXml(spec.lang ?? 'en')}">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeXml(spec.title)}</title>\n<style>${BASE_CSS}${spec.css ?? ''}</style>\n</head>\n` +
    `<body>\n${spec.body.value}\n</body>\n</html>\n`
  );
}
