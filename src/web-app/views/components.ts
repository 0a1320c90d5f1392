// Pieces every page uses: the page context, the CSRF field, form errors from
// problem responses, and fields that show their own error.
import { CSRF_FIELD } from '../csrf';
import type { Problem } from '../engine-api';
import { html, type Markup } from '../html';

export interface PageContext {
  csrf: string;
  workspaceId: string | null;
  devSignIn: boolean;
  nowMs: number;
  /** The result of the last action (from a known notice key, never from the URL's text). */
  notice?: string;
}

/** A form that did not go through: its message, per-field messages and what was typed (to show it again). */
export interface FormError {
  form: string;
  message: string;
  fields: Record<string, string>;
  values: Record<string, string>;
  /** Extra markup under the message (a contact link, the invoice to pay). */
  extra?: Markup;
}

export function csrfField(ctx: PageContext): Markup {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}">`;
}

/**
 * A problem+json answer as a form error: its detail, and each of its field
 * errors (`body.amountCents`) under the form field that carries it.
 */
export function formErrorFromProblem(form: string, problem: Problem, values: Record<string, string>, fieldOf: Record<string, string> = {}): FormError {
  const fields: Record<string, string> = {};
  for (const e of problem.errors ?? []) {
    const key = e.path.replace(/^(body|params|query)\./, '').split('.')[0];
    const field = fieldOf[key] ?? key;
    fields[field] = fields[field] ? `${fields[field]}; ${e.message}` : e.message;
  }
  return { form, message: problem.detail || problem.title, fields, values };
}

export function formErrorFor(error: FormError | undefined, form: string): FormError | undefined {
  return error?.form === form ? error : undefined;
}

/** The form-level message, announced to screen readers. */
export function formErrorBox(error: FormError | undefined): Markup {
  if (!error) return html``;
  return html`<div class="alert bad" role="alert" data-testid="form-error-${error.form}">
    <p>${error.message}</p>
    ${Object.keys(error.fields).length > 0 && html`<ul>${Object.entries(error.fields).map(([f, m]) => html`<li>${f}: ${m}</li>`)}</ul>`}
    ${error.extra}
  </div>`;
}

interface FieldOptions {
  form: string;
  name: string;
  label: string;
  type?: string;
  value?: string;
  hint?: string;
  required?: boolean;
  inputmode?: string;
  autocomplete?: string;
  error?: FormError;
}

/** A labelled input; its hint and its error are tied to it with aria-describedby. */
export function field(o: FieldOptions): Markup {
  const id = `${o.form}-${o.name}`;
  const message = o.error?.fields[o.name];
  const value = o.error?.values[o.name] ?? o.value ?? '';
  const described = [o.hint ? `${id}-hint` : '', message ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
    <label for="${id}">${o.label}</label>
    ${o.hint && html`<p class="hint" id="${id}-hint">${o.hint}</p>`}
    <input id="${id}" name="${o.name}" type="${o.type ?? 'text'}" value="${value}"${o.required ? html` required` : ''}${
      o.inputmode ? html` inputmode="${o.inputmode}"` : ''
    }${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${described ? html` aria-describedby="${described}"` : ''}${
      message ? html` aria-invalid="true"` : ''
    }>
    ${message && html`<p class="error" id="${id}-error">${message}</p>`}
  </div>`;
}

export function select(o: { form: string; name: string; label: string; options: Array<[value: string, text: string]>; value?: string; error?: FormError }): Markup {
  const id = `${o.form}-${o.name}`;
  const chosen = o.error?.values[o.name] ?? o.value;
  const message = o.error?.fields[o.name];
  return html`<div class="field">
    <label for="${id}">${o.label}</label>
    <select id="${id}" name="${o.name}"${message ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
      ${o.options.map(([value, text]) => html`<option value="${value}"${value === chosen ? html` selected` : ''}>${text}</option>`)}
    </select>
    ${message && html`<p class="error" id="${id}-error">${message}</p>`}
  </div>`;
}
