/**
 * A minimal SVG string builder. Attribute values and text always go through escapeXml, so a
 * caller cannot produce markup from data by accident; only `children` (already-built markup)
 * is passed through.
 */
import { escapeXml, px } from './format.js';

export type AttrValue = string | number | boolean | undefined | null;
export type Attrs = Record<string, AttrValue>;

function attrs(values: Attrs): string {
  let out = '';
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === false) continue;
    if (!/^[A-Za-z_:][-A-Za-z0-9_:.]*$/.test(name)) throw new Error(`invalid attribute name: ${JSON.stringify(name)}`);
    const text = value === true ? name : typeof value === 'number' ? px(value) : value;
    out += ` ${name}="${escapeXml(text)}"`;
  }
  return out;
}

/** `<tag attrs>children</tag>`, or self-closed when there are no children. */
export function el(tag: string, attributes: Attrs = {}, ...children: string[]): string {
  const content = children.join('');
  return content ? `<${tag}${attrs(attributes)}>${content}</${tag}>` : `<${tag}${attrs(attributes)}/>`;
}

/** A text element; its content is escaped. */
export function text(x: number, y: number, content: string, attributes: Attrs = {}): string {
  return `<text${attrs({ x, y, ...attributes })}>${escapeXml(content)}</text>`;
}

/** A tooltip: browsers show an element's first <title> child on hover. */
export function tooltip(content: string): string {
  return `<title>${escapeXml(content)}</title>`;
}

/** `data-*` attributes from a plain record (keys as given, without the `data-` prefix). */
export function dataAttrs(data: Record<string, string> | undefined): Attrs {
  const out: Attrs = {};
  for (const [key, value] of Object.entries(data ?? {})) out[`data-${key}`] = value;
  return out;
}

/**
 * The root element. Font settings live on it (not in page CSS) so a chart saved as its own
 * .svg file looks the same as inline.
 */
export function svgRoot(kind: string, width: number, height: number, title: string, ...children: string[]): string {
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      class: `chart chart-${kind}`,
      width,
      height,
      viewBox: `0 0 ${px(width)} ${px(height)}`,
      role: 'img',
      'font-family': 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      'font-size': 12,
      fill: '#222',
    },
    tooltip(title),
    ...children,
  );
}
