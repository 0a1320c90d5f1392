// HTML for the web app's server-rendered pages: a tagged template that
// escapes every interpolated value unless it is already markup (made by
// `html` itself or marked with `raw`). Arrays are joined, null/undefined/false
// render as nothing, so `${cond && html`…`}` and `${items.map(…)}` read well.

const MARKUP = Symbol('markup');

export interface Markup {
  readonly [MARKUP]: true;
  readonly text: string;
  toString(): string;
}

function markup(text: string): Markup {
  return { [MARKUP]: true, text, toString: () => text };
}

export function isMarkup(value: unknown): value is Markup {
  return typeof value === 'object' && value !== null && MARKUP in value;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

/** Trusted markup, inserted as is (only for strings the app itself wrote). */
export function raw(text: string): Markup {
  return markup(text);
}

export type Interpolation = Markup | string | number | bigint | boolean | null | undefined | Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (isMarkup(value)) return value.text;
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Markup {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return markup(out);
}
